package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/parquet/parquettest"
	"github.com/siemloader/siem/shared/pipeline"
)

const vpcParquetKey = "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=01/day=15/hour=00/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T0000Z_h.log.parquet"

// vpcParquet writes the flows of vpcLines(n) as a Parquet file with
// rowsPerGroup rows per row group.
func vpcParquet(t *testing.T, n, rowsPerGroup int) []byte {
	t.Helper()
	b, err := parquettest.FromText(vpcLines(n), parquettest.FlowLogTypes, rowsPerGroup, parquettest.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A big Parquet object fans out by row groups: chunks name their groups,
// nothing is staged, and the documents are those of the whole object
// parsed at once (and of the same flows as text).
func TestParquetFansOutByRowGroups(t *testing.T) {
	content := vpcParquet(t, 95, 10)
	run := func(cfg pipeline.StepsConfig) ([]bulk.Doc, pipeline.SplitOutput, pipeline.Counts, *fixture) {
		f := newFixture(t, cfg)
		f.store.Put(context.Background(), logBucket, vpcParquetKey, content)
		sp, counts := f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcParquetKey})
		return f.sink.Docs(), sp, counts, f
	}
	whole, sp1, c1, _ := run(pipeline.StepsConfig{})
	if sp1.ChunkCount != 1 || sp1.Chunk.RowGroups != nil {
		t.Fatalf("want the inline path, got %+v", sp1)
	}
	fanned, sp2, c2, f2 := run(pipeline.StepsConfig{InlineMaxBytes: 1, ChunkRecords: 20})
	if sp2.ChunkCount != 5 || sp2.Manifest == nil {
		t.Fatalf("want 5 chunks of 2 row groups, got %+v", sp2)
	}
	rc, _ := f2.store.Get(context.Background(), sp2.Manifest.Bucket, sp2.Manifest.Key)
	var chunks []pipeline.Chunk
	json.NewDecoder(rc).Decode(&chunks)
	for i, c := range chunks {
		want := [2]int{2 * i, min(2*i+2, 10)}
		if c.Staged || c.RowGroups == nil || *c.RowGroups != want || c.Data.Key != vpcParquetKey {
			t.Errorf("chunk %d: %+v, want row groups %v of the source", i, c, want)
		}
	}
	if staged, _ := f2.store.List(context.Background(), staging, "staging/chunks/"); len(staged) != 0 {
		t.Errorf("Parquet chunks staged copies: %v", staged)
	}
	for _, c := range []pipeline.Counts{c1, c2} {
		identity(t, c)
		if c.RecordsIn != 95 || c.Indexed != 95 {
			t.Errorf("counts %+v, want 95 in and indexed", c)
		}
	}
	ids := map[string]int{}
	for _, d := range whole {
		ids[d.ID] = d.Record
	}
	for _, d := range fanned {
		if rec, ok := ids[d.ID]; !ok || rec != d.Record {
			t.Errorf("fanned-out doc %s (row %d) not produced whole (row %d)", d.ID, d.Record, rec)
		}
	}
	// The same flows as gzip text give the same ids.
	ft := newFixture(t, pipeline.StepsConfig{})
	ft.store.Put(context.Background(), logBucket, vpcKey, gz(vpcLines(95)))
	ft.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	for _, d := range ft.sink.Docs() {
		if _, ok := ids[d.ID]; !ok {
			t.Errorf("text flow %d (%s) has no Parquet twin", d.Record, d.ID)
		}
	}
}

// A damaged Parquet object is one dead letter saying why, whether it is
// small (parsed whole) or big (split cannot read its footer).
func TestDamagedParquetIsDeadLettered(t *testing.T) {
	good := vpcParquet(t, 30, 10)
	for name, content := range map[string][]byte{
		"truncated":      good[:len(good)/2],
		"corrupt footer": append(append([]byte(nil), good[:len(good)-12]...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1', 0, 0, 0, 0)[:len(good)],
	} {
		for _, cfg := range []pipeline.StepsConfig{{}, {InlineMaxBytes: 1, ChunkRecords: 10}} {
			f := newFixture(t, cfg)
			f.store.Put(context.Background(), logBucket, vpcParquetKey, content)
			_, c := f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcParquetKey})
			identity(t, c)
			if c.RecordsIn != 1 || c.DeadLettered != 1 || c.Reasons["unreadable from here to the end of the object"] != 1 {
				t.Errorf("%s (inline max %d): counts %+v", name, cfg.InlineMaxBytes, c)
			}
		}
	}
}

// A Parquet file gzipped as a whole is not framed as text by split: it is
// parsed in one piece.
func TestGzippedParquetIsParsedWhole(t *testing.T) {
	content := gz(string(vpcParquet(t, 30, 10)))
	f := newFixture(t, pipeline.StepsConfig{InlineMaxBytes: 1, ChunkRecords: 10})
	f.store.Put(context.Background(), logBucket, vpcParquetKey+".gz", content)
	sp, c := f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcParquetKey + ".gz"})
	identity(t, c)
	if sp.ChunkCount != 1 || sp.Chunk == nil || sp.Chunk.RowGroups != nil || c.Indexed != 30 {
		t.Errorf("split %+v, counts %+v: want one whole chunk and 30 documents", sp, c)
	}
}
