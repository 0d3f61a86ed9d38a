package moto

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/backfill"
	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/notify"
	"github.com/siemloader/siem/shared/pipeline"
)

const backfillASL = "../../statemachines/backfill.asl.json"

// clusterSink stands in for OpenSearch's index-by-_id semantics: a second
// write of an id overwrites the first. It counts every write too, so a
// test can tell "indexed once" from "indexed twice, deduplicated".
type clusterSink struct {
	mu     sync.Mutex
	docs   map[string]string // index/_id -> source
	writes int
}

func newClusterSink() *clusterSink { return &clusterSink{docs: map[string]string{}} }

func (c *clusterSink) Index(_ context.Context, docs []bulk.Doc) (bulk.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range docs {
		if d.ID == "" {
			return bulk.Result{}, fmt.Errorf("document without _id in %s: OpenSearch would make one up and a re-run would duplicate it", d.Index)
		}
		c.docs[d.Index+"/"+d.ID] = string(d.Source)
		c.writes++
	}
	return bulk.Result{Indexed: len(docs), Requests: 1}, nil
}

func (c *clusterSink) snapshot() (ids []string, writes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, c.writes
}

func backfillSubstitutions() map[string]string {
	return map[string]string{
		"BackfillFunctionArn":    LambdaARN("backfill"),
		"LoadFunctionArn":        LambdaARN("load"),
		"SplitFunctionArn":       LambdaARN("split"),
		"IngestStateMachineArn":  "arn:aws:states:" + Region + ":" + Account + ":stateMachine:ingest",
		"BackfillMaxConcurrency": "3",
	}
}

// The backfill state machine on moto over a prefix of 300 small VPC flow
// objects (2 records each), a folder marker and a file of no known type,
// with pages of 151 keys and batches of at most 40 objects: two List
// pages, four batches each through the Distributed Map, each batch one
// Load invocation. Every record is indexed exactly once; a second
// backfill over the same objects writes the same 600 ids again and the
// index still holds 600 documents.
func TestBackfillOnMoto(t *testing.T) {
	srv := Start(t, nil)
	const objects, perObject = 300, 2
	prefix := "AWSLogs/123456789012/"
	bodies := map[string][]byte{}
	for i := range objects {
		key := fmt.Sprintf("%svpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T%02d%02dZ_%04d.log.gz", prefix, i/60, i%60, i)
		// Distinct flows per object: a document's id derives from its record.
		var b strings.Builder
		b.WriteString(vpcHeader + "\n")
		for r := range perObject {
			fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60001 10.0.%d.%d 203.0.113.%d %d 443 6 10 840 1705276800 1705276860 ACCEPT OK\n", i/250, i%250, r, 40000+i)
		}
		bodies[key] = gzipped(b.String())
	}
	bodies[prefix+"vpcflowlogs/"] = nil                       // a folder marker: empty, never read
	bodies[prefix+"notes/readme.txt"] = []byte("not a log\n") // no log type matches: a skipped object

	sink := newClusterSink()
	run := func(t *testing.T, name string) (*Execution, backfill.State, *Server) {
		s := srv.For(t)
		s.Reset()
		s.CreateBucket(logBucket, stagingBucket)
		for k, b := range bodies {
			s.PutObject(logBucket, k, b)
		}
		steps, err := pipeline.NewSteps(pipeline.StepsConfig{
			Store: blob.S3{Client: s.S3}, StagingBucket: stagingBucket, Indexer: sink,
			Now: func() time.Time { return time.Date(2024, 1, 15, 1, 0, 0, 0, time.UTC) },
		})
		if err != nil {
			t.Fatal(err)
		}
		serveSteps(s, steps)
		store := blob.S3{Client: s.S3}
		step := backfill.Step{Lister: store, Store: store, StagingBucket: stagingBucket, Batching: notify.Batching{MaxObjects: 40}, PageKeys: 151}
		var last backfill.State
		var mu sync.Mutex
		s.Handle("backfill", func(ctx context.Context, payload []byte) ([]byte, error) {
			var st backfill.State
			if err := json.Unmarshal(payload, &st); err != nil {
				return nil, err
			}
			out, err := step.Handle(ctx, st)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			last = out
			mu.Unlock()
			return json.Marshal(out)
		})
		sm := s.CreateStateMachineFile("backfill", backfillASL, backfillSubstitutions())
		e := sm.Run(name, backfill.Request{Bucket: logBucket, Prefix: prefix})
		if !e.Succeeded() {
			t.Fatalf("backfill %s: %s %s %s", name, e.Status, e.Error, truncate(e.Cause, 1000))
		}
		var out backfill.State
		if err := json.Unmarshal(e.Output, &out); err != nil {
			t.Fatalf("output %s: %v", e.Output, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !out.Finished || out.Totals != last.Totals {
			t.Fatalf("output %+v is not the last List result %+v", out, last)
		}
		return e, out, s
	}

	wantTotals := backfill.Totals{
		Listed: objects + 2, Empty: 1, Batches: 8, BatchedObjects: objects + 1,
		Loaded: objects, SkippedObjects: 1,
		Counts: backfill.Counts{RecordsIn: objects * perObject, Indexed: objects * perObject},
	}
	var firstIDs []string
	t.Run("First", func(t *testing.T) {
		e, out, s := run(t, "backfill-first")
		if out.Totals != wantTotals {
			t.Errorf("totals %+v\nwant   %+v", out.Totals, wantTotals)
		}
		if out.Page != 2 {
			t.Errorf("pages %d, want 2", out.Page)
		}
		ids, writes := sink.snapshot()
		if len(ids) != objects*perObject || writes != objects*perObject {
			t.Fatalf("%d documents from %d writes, want %d each: every record indexed exactly once", len(ids), writes, objects*perObject)
		}
		firstIDs = ids
		n := s.InvocationCounts()
		if n["load"] != 8 || n["split"] != 0 {
			t.Errorf("invocations %v: want 8 batch loads (pages of 151 keys, batches of 40) and no split", n)
		}
		var items int64
		for _, r := range e.MapRuns {
			if r.MaxConcurrency != 3 {
				t.Errorf("map run max concurrency %d, want BackfillMaxConcurrency 3", r.MaxConcurrency)
			}
			if r.Items != nil {
				items += r.Items.Succeeded
			}
		}
		if len(e.MapRuns) != 2 || items != 8 {
			t.Errorf("%d map runs with %d items, want 2 pages with 8 batches", len(e.MapRuns), items)
		}
		if m := s.ListKeys(stagingBucket, "backfill/backfill-first/"); len(m) != 2 {
			t.Errorf("manifests %v, want one per page", m)
		}
	})
	t.Run("SecondRunNoDuplicates", func(t *testing.T) {
		if firstIDs == nil {
			t.Skip("first run failed")
		}
		_, out, _ := run(t, "backfill-second")
		if out.Totals != wantTotals {
			t.Errorf("totals %+v\nwant   %+v", out.Totals, wantTotals)
		}
		ids, writes := sink.snapshot()
		if writes != 2*objects*perObject {
			t.Errorf("%d writes over two runs, want %d: the second run loads every object once more", writes, 2*objects*perObject)
		}
		if len(ids) != len(firstIDs) {
			t.Fatalf("%d documents after the second run, %d after the first: duplicates", len(ids), len(firstIDs))
		}
		for i := range ids {
			if ids[i] != firstIDs[i] {
				t.Fatalf("document %s after the second run, %s after the first: ids must be deterministic", ids[i], firstIDs[i])
			}
		}
	})
}
