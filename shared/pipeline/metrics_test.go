package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/emf"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/pipeline/pipelinetest"
)

type emfLine struct {
	Function, LogType                         string
	RecordsIn, Indexed, DeadLettered, Skipped *float64
	ObjectsLoaded, ObjectsSkipped, BytesIn    *float64
	RecordLagSeconds, BulkRequests, BulkTime  *float64
	AWS                                       struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
		}
	} `json:"_aws"`
}

// One EMF line per log type for the demo batch (events/load-batch.json),
// values equal to the batch's own accounting, lag from the newest record.
func TestBatchMetrics(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	var buf bytes.Buffer
	payload, err := os.ReadFile("../../events/load-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.Steps.Invoke(context.Background(), "load", payload)
	if err != nil {
		t.Fatal(err)
	}
	var b pipeline.BatchOutput
	json.Unmarshal(out, &b)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	w := &emf.Writer{Out: &buf}
	for _, l := range pipeline.MetricLines("load", pipeline.ActionLoadBatch, out, now) {
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	got := map[string]emfLine{}
	for _, raw := range lines {
		var l emfLine
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		m := l.AWS.CloudWatchMetrics
		if len(m) != 1 || m[0].Namespace != "SIEMLoader" || len(m[0].Dimensions) != 2 || len(m[0].Dimensions[1]) != 1 {
			t.Errorf("envelope %s", raw)
		}
		got[l.LogType] = l
	}
	// cloudtrail, vpcflowlogs, alb and the unknown text file.
	if len(got) != 4 {
		t.Fatalf("lines for %v, want 4 log types:\n%s", len(got), buf.String())
	}
	for _, o := range b.Objects {
		lt := o.LogType
		if lt == "" {
			lt = "unknown"
		}
		l := got[lt]
		if o.SkipReason != "" {
			if l.ObjectsSkipped == nil || *l.ObjectsSkipped != 1 {
				t.Errorf("%s: ObjectsSkipped %v", lt, l.ObjectsSkipped)
			}
			continue
		}
		if *l.RecordsIn != float64(o.Counts.RecordsIn) || *l.Indexed != float64(o.Counts.Indexed) || *l.DeadLettered != float64(o.Counts.DeadLettered) || *l.ObjectsLoaded != 1 {
			t.Errorf("%s: line %+v, batch counts %+v", lt, l, o.Counts)
		}
		if l.BytesIn == nil || *l.BytesIn != float64(o.Bytes) || o.Bytes == 0 {
			t.Errorf("%s: BytesIn %v, object %d bytes", lt, l.BytesIn, o.Bytes)
		}
		if l.BulkRequests == nil || *l.BulkRequests < 1 || l.BulkTime == nil {
			t.Errorf("%s: bulk figures missing", lt)
		}
		ts, err := time.Parse(time.RFC3339Nano, o.Stats.NewestRecord)
		if err != nil || l.RecordLagSeconds == nil || *l.RecordLagSeconds != now.Sub(ts.Truncate(0)).Seconds() {
			t.Errorf("%s: lag %v for newest record %q", lt, l.RecordLagSeconds, o.Stats.NewestRecord)
		}
	}
	// The VPC flow sample's records end at 2021-03 (the AWS docs'
	// example): the lag is years, not zero.
	if l := got["vpcflowlogs"]; l.RecordLagSeconds == nil || *l.RecordLagSeconds < 86400 {
		t.Errorf("vpcflowlogs lag %v", l.RecordLagSeconds)
	}
	// Summarize publishes nothing: the chunks did.
	if ls := pipeline.MetricLines("split", pipeline.ActionSummarize, []byte(`{"source":{},"log_type":"vpcflowlogs","chunks":2,"failed_chunks":0,"counts":{"records_in":7}}`), now); len(ls) != 0 {
		t.Errorf("summarize published %v", ls)
	}
}

// The bulk client's 429 counts reach the EMF line of the chunk that met
// them, as BulkThrottled and BulkItemsThrottled, per log type and rolled up.
func TestThrottledMetrics(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	out := []byte(`{"chunk":{"source":{"bucket":"b","key":"k"},"log_type":"cloudtrail","data":{"bucket":"b","key":"k"},"seq":0},` +
		`"counts":{"records_in":10,"indexed":10},"stats":{"bulk_requests":4,"bulk_ms":12,"bulk_throttled":3,"bulk_items_throttled":5}}`)
	lines := pipeline.MetricLines("load", pipeline.ActionLoadChunk, out, now)
	if len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	var buf bytes.Buffer
	if err := (&emf.Writer{Out: &buf}).Write(lines[0]); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var l struct {
		BulkThrottled, BulkItemsThrottled, BulkRequests *float64
		AWS                                             struct {
			CloudWatchMetrics []struct {
				Metrics []struct{ Name, Unit string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if l.BulkThrottled == nil || *l.BulkThrottled != 3 || l.BulkItemsThrottled == nil || *l.BulkItemsThrottled != 5 || *l.BulkRequests != 4 {
		t.Fatalf("line %s", b)
	}
	declared := map[string]string{}
	for _, d := range l.AWS.CloudWatchMetrics {
		for _, m := range d.Metrics {
			declared[m.Name] = m.Unit
		}
	}
	if declared[pipeline.MetricBulkThrottled] != "Count" || declared[pipeline.MetricBulkItemsThrottled] != "Count" {
		t.Errorf("declared metrics %v", declared)
	}
}

// figures are one EMF line's metrics by name; BulkTime, a measured
// duration, is recorded as -1 when present.
type figures map[string]float64

// TestMetricsPerAction: what each action's answer publishes, from the
// answers the actions really give. Only loads and dead-lettering publish
// counts; split publishes only its skips and summarize nothing (the
// chunks did).
func TestMetricsPerAction(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	// The flows of vpcLines end at 1700000060 (2023-11-14T22:14:20Z).
	lag := now.Sub(time.Unix(1700000060, 0)).Seconds()
	f := newFixture(t, pipeline.StepsConfig{ChunkRecords: 4})
	ctx := context.Background()
	const bigKey = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/big.log.gz"
	f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(3, 2)))
	big := gz(vpcLines(10))
	f.store.Put(ctx, logBucket, bigKey, big)
	src := pipeline.ObjectRef{Bucket: logBucket, Key: vpcKey}
	inline := pipeline.Chunk{Source: src, LogType: "vpcflowlogs", Data: src}
	obj := map[string]any{"bucket": logBucket, "key": vpcKey}
	failure := map[string]string{"Error": "States.Timeout", "Cause": "timed out"}

	// A big object cut into staged chunks (InlineMaxBytes 1 on another
	// fixture over the same store).
	cut, err := pipeline.NewSteps(pipeline.StepsConfig{Store: f.store, StagingBucket: staging, Indexer: f.sink, InlineMaxBytes: 1, ChunkRecords: 4, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := cut.Split(ctx, pipeline.SplitInput{Bucket: logBucket, Key: bigKey})
	if err != nil || sp.Manifest == nil {
		t.Fatalf("split: %+v %v", sp, err)
	}
	rc, _ := f.store.Get(ctx, sp.Manifest.Bucket, sp.Manifest.Key)
	var chunks []pipeline.Chunk
	json.NewDecoder(rc).Decode(&chunks)
	rc.Close()
	if len(chunks) != 3 || !chunks[0].Staged || chunks[0].Seq != 0 {
		t.Fatalf("chunks %+v", chunks)
	}
	// A Parquet chunk of row groups, read from the source.
	f.store.Put(ctx, logBucket, vpcParquetKey, vpcParquet(t, 10, 2))
	psrc := pipeline.ObjectRef{Bucket: logBucket, Key: vpcParquetKey}
	rowGroups := pipeline.Chunk{Source: psrc, LogType: "vpcflowlogs", Data: psrc, RowGroups: &[2]int{0, 2}}

	cases := []struct {
		name     string
		function string
		payload  map[string]any
		want     map[string]figures // by log type; nil: no line
	}{
		{"split, inline", pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionSplit, "object": obj}, nil},
		{"split, skipped", pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionSplit, "object": map[string]any{"bucket": logBucket, "key": "random/file.txt"}},
			map[string]figures{"unknown": {"RecordsIn": 0, "Indexed": 0, "DeadLettered": 0, "Skipped": 0, "ObjectsSkipped": 1}}},
		{"split, skipped folder", pipeline.FunctionSplit, map[string]any{"bucket": logBucket, "key": "AWSLogs/123456789012/CloudTrail/"},
			map[string]figures{"unknown": {"RecordsIn": 0, "Indexed": 0, "DeadLettered": 0, "Skipped": 0, "ObjectsSkipped": 1}}},
		{"fail_chunk, inline", pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionFailChunk, "chunk": inline, "error": failure},
			map[string]figures{"vpcflowlogs": {"RecordsIn": 3, "Indexed": 0, "DeadLettered": 3, "Skipped": 0, "ObjectsFailed": 1}}},
		{"fail_chunk, staged chunk", pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionFailChunk, "chunk": chunks[1], "error": failure},
			map[string]figures{"vpcflowlogs": {"RecordsIn": 4, "Indexed": 0, "DeadLettered": 4, "Skipped": 0}}},
		{"fail_batch", pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionFailBatch, "objects": []any{obj, map[string]any{"bucket": logBucket, "key": "random/file.txt"}}, "error": failure},
			map[string]figures{
				"vpcflowlogs": {"RecordsIn": 3, "Indexed": 0, "DeadLettered": 3, "Skipped": 0, "ObjectsFailed": 1},
				"unknown":     {"RecordsIn": 0, "Indexed": 0, "DeadLettered": 0, "Skipped": 0, "ObjectsSkipped": 1},
			}},
		{"summarize", pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionSummarize, "source": src, "log_type": "vpcflowlogs",
			"results": []any{map[string]any{"counts": map[string]int{"records_in": 2, "indexed": 2}}}}, nil},
		{"load_chunk, inline", pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadChunk, "chunk": inline},
			map[string]figures{"vpcflowlogs": {"RecordsIn": 3, "Indexed": 2, "DeadLettered": 1, "Skipped": 0, "ObjectsLoaded": 1,
				"BulkRequests": 1, "BulkTime": -1, "BulkRetryableErrors": 0, "BulkThrottled": 0, "BulkItemsThrottled": 0, "RecordLagSeconds": lag}}},
		{"load_chunk, bare", pipeline.FunctionLoad, map[string]any{"source": src, "log_type": "vpcflowlogs", "data": src},
			map[string]figures{"vpcflowlogs": {"RecordsIn": 3, "Indexed": 2, "DeadLettered": 1, "Skipped": 0, "ObjectsLoaded": 1,
				"BulkRequests": 1, "BulkTime": -1, "BulkRetryableErrors": 0, "BulkThrottled": 0, "BulkItemsThrottled": 0, "RecordLagSeconds": lag}}},
		{"load_chunk, staged chunk", pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadChunk, "chunk": chunks[0]},
			map[string]figures{"vpcflowlogs": {"RecordsIn": 4, "Indexed": 4, "DeadLettered": 0, "Skipped": 0,
				"BulkRequests": 1, "BulkTime": -1, "BulkRetryableErrors": 0, "BulkThrottled": 0, "BulkItemsThrottled": 0, "RecordLagSeconds": lag}}},
		{"load_chunk, row groups", pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadChunk, "chunk": rowGroups},
			map[string]figures{"vpcflowlogs": {"RecordsIn": 4, "Indexed": 4, "DeadLettered": 0, "Skipped": 0,
				"BulkRequests": 1, "BulkTime": -1, "BulkRetryableErrors": 0, "BulkThrottled": 0, "BulkItemsThrottled": 0, "RecordLagSeconds": lag}}},
		{"load_batch", pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadBatch, "objects": []any{obj, map[string]any{"bucket": logBucket, "key": bigKey}, map[string]any{"bucket": logBucket, "key": "random/file.txt"}}},
			map[string]figures{
				"vpcflowlogs": {"RecordsIn": 13, "Indexed": 12, "DeadLettered": 1, "Skipped": 0, "ObjectsLoaded": 2, "BytesIn": float64(len(gz(vpcLines(3, 2))) + len(big)),
					"BulkRequests": 2, "BulkTime": -1, "BulkRetryableErrors": 0, "BulkThrottled": 0, "BulkItemsThrottled": 0, "RecordLagSeconds": lag},
				"unknown": {"RecordsIn": 0, "Indexed": 0, "DeadLettered": 0, "Skipped": 0, "ObjectsSkipped": 1},
			}},
		{"load_batch, empty", pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadBatch, "objects": []any{}}, nil},
	}
	f.store.Put(ctx, logBucket, "random/file.txt", []byte("hello"))
	seen := map[pipeline.Action]bool{}
	for _, c := range cases {
		b, _ := json.Marshal(c.payload)
		out, err := f.steps.Invoke(ctx, c.function, b)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		action, _ := c.payload["action"].(pipeline.Action)
		if action == "" {
			action = pipeline.Actions(c.function)[0]
		}
		seen[action] = true
		got := map[string]figures{}
		for _, l := range pipeline.MetricLines(c.function, action, out, now) {
			if l.Dimensions["Function"] != c.function || len(l.Rollup) != 1 || l.Rollup[0] != "LogType" {
				t.Errorf("%s: dimensions %v, rollup %v", c.name, l.Dimensions, l.Rollup)
			}
			fig := figures{}
			for _, m := range l.Metrics {
				fig[m.Name] = m.Value
				if m.Name == pipeline.MetricBulkTime {
					fig[m.Name] = -1
				}
			}
			got[l.Dimensions["LogType"]] = fig
		}
		if len(c.want) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: answer %s\nmetrics %v\n   want %v", c.name, out, got, c.want)
		}
	}
	for _, fn := range []string{pipeline.FunctionSplit, pipeline.FunctionLoad} {
		for _, a := range pipeline.Actions(fn) {
			if !seen[a] {
				t.Errorf("action %s not covered", a)
			}
		}
	}
}
