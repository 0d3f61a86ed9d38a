package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/pipeline"
)

func TestRunDemo(t *testing.T) {
	out := t.TempDir()
	sink := bulk.NewFileSink(out)
	// Small chunks so the demo's bigger files also take the chunked path.
	sum, err := Run(context.Background(), Options{Paths: []string{"../../testdata/demo"}, OutDir: out, Indexer: sink, ChunkRecords: 50, InlineMaxBytes: 2000, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	sink.Close()
	if sum.RecordsIn != sum.Indexed+sum.DeadLettered+sum.Skipped {
		t.Errorf("accounting: %+v", sum)
	}
	if sum.Chunks <= sum.Objects-len(sum.SkippedObjects) {
		t.Errorf("expected some objects cut into chunks: %d chunks for %d objects", sum.Chunks, sum.Objects)
	}
	for _, typ := range []string{"cloudtrail", "vpcflowlogs", "alb"} {
		if c := sum.ByType[typ]; c == nil || c.Indexed == 0 {
			t.Errorf("%s: nothing indexed (%+v)", typ, c)
		}
	}
	total := 0
	for idx, n := range sum.ByIndex {
		total += n
		b, err := os.ReadFile(filepath.Join(out, idx+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(string(b), "\n"); lines != n {
			t.Errorf("%s: %d lines on disk, summary says %d", idx, lines, n)
		}
	}
	if total != sum.Indexed {
		t.Errorf("by_index adds up to %d, indexed %d", total, sum.Indexed)
	}
	// The lag figure (the deployed RecordLagSeconds) is measured from the
	// newest @timestamp among the documents written.
	newest := ""
	for idx := range sum.ByIndex {
		b, _ := os.ReadFile(filepath.Join(out, idx+".ndjson"))
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var d struct {
				Source struct {
					Timestamp string `json:"@timestamp"`
				} `json:"_source"`
				Timestamp string `json:"@timestamp"`
			}
			json.Unmarshal([]byte(line), &d)
			ts := d.Timestamp
			if ts == "" {
				ts = d.Source.Timestamp
			}
			if len(ts) >= 19 && ts[:19] > newest {
				newest = ts[:19]
			}
		}
	}
	if newest == "" || len(sum.NewestRecord) < 19 || sum.NewestRecord[:19] != newest || sum.RecordLagSeconds <= 0 {
		t.Errorf("newest record %q (lag %.0f s), documents' newest %q", sum.NewestRecord, sum.RecordLagSeconds, newest)
	}
	reasons := map[string]bool{}
	for _, s := range sum.SkippedObjects {
		reasons[s.Reason] = true
	}
	if !reasons[pipeline.SkipEmpty] || !reasons[pipeline.SkipUnknownType] {
		t.Errorf("skipped objects: %+v", sum.SkippedObjects)
	}
	// The one truncated VPC line is a dead letter naming file, line, reason.
	if sum.DeadLettered != 1 || sum.DeadLetterDir == "" {
		t.Fatalf("dead letters: %d in %q", sum.DeadLettered, sum.DeadLetterDir)
	}
	var found []pipeline.DeadLetter
	filepath.Walk(sum.DeadLetterDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, _ := os.Open(p)
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var d pipeline.DeadLetter
			json.Unmarshal(sc.Bytes(), &d)
			found = append(found, d)
		}
		return nil
	})
	if len(found) != 1 || !strings.Contains(found[0].Source, "vpcflowlogs") || found[0].Record == 0 || found[0].Reason == "" || found[0].Raw == "" {
		t.Errorf("dead letters: %+v", found)
	}
}

func TestRunForcedTypeAndMissingPath(t *testing.T) {
	out := t.TempDir()
	sink := bulktest.NewMemorySink()
	sum, err := Run(context.Background(), Options{Paths: []string{"../logtypes/vpcflow/testdata/panther_scenario_attacker_vpc.log"}, LogType: "vpcflowlogs", OutDir: out, Indexer: sink})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed != 6 || len(sink.Docs()) != 6 {
		t.Errorf("forced type: %+v", sum)
	}
	if _, err := Run(context.Background(), Options{Paths: []string{"does/not/exist"}, OutDir: out, Indexer: sink}); err == nil {
		t.Error("a missing input path is an operational error")
	}
}

func TestKeyFor(t *testing.T) {
	for in, want := range map[string]string{
		"../../shared/corpus/alb/x.log": "shared/corpus/alb/x.log",
		"/abs/AWSLogs/1/CloudTrail/x":   "abs/AWSLogs/1/CloudTrail/x",
		"testdata/demo/./a/../b.log":    "testdata/demo/b.log",
	} {
		if got := keyFor(in); got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}
