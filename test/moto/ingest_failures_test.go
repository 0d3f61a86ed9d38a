package moto

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/pipeline"
)

// deployIngest wires the steps to moto's S3 with the given indexer and
// creates the ingest state machine.
func deployIngest(t *testing.T, s *Server, cfg pipeline.StepsConfig) *StateMachine {
	t.Helper()
	s.Reset()
	s.CreateBucket(logBucket, stagingBucket)
	cfg.Store, cfg.StagingBucket = blob.S3{Client: s.S3}, stagingBucket
	steps, err := pipeline.NewSteps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serveSteps(s, steps)
	return s.CreateStateMachineFile("ingest", ingestASL, ingestSubstitutions())
}

// poisonIndexer refuses, for good, every batch holding a given record: a
// plain error, which the state machine does not retry.
type poisonIndexer struct {
	bulk.Indexer
	record int
}

func (p *poisonIndexer) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	for _, d := range docs {
		if d.Record == p.record {
			return bulk.Result{}, fmt.Errorf("cluster refused the request: index_closed_exception")
		}
	}
	return p.Indexer.Index(ctx, docs)
}

func outputCounts(t *testing.T, e *Execution) pipeline.Counts {
	t.Helper()
	var out struct {
		Counts pipeline.Counts `json:"counts"`
	}
	if err := json.Unmarshal(e.Output, &out); err != nil {
		t.Fatalf("output %s: %v", e.Output, err)
	}
	c := out.Counts
	if c.RecordsIn != c.Indexed+c.DeadLettered+c.Skipped || c.Pending != 0 {
		t.Errorf("accounting identity broken: %+v", c)
	}
	return c
}

func TestIngestNothingLost(t *testing.T) {
	srv := Start(t, nil)

	t.Run("FailedChunkDeadLetteredWhole", func(t *testing.T) {
		s := srv.For(t)
		sink := bulktest.NewMemorySink()
		// 30 records in chunks of 10; the chunk holding line 15 can never be
		// indexed. Its child catches the error and dead-letters the chunk.
		sm := deployIngest(t, s, pipeline.StepsConfig{ChunkRecords: 10, InlineMaxBytes: 1, Indexer: &poisonIndexer{Indexer: sink, record: 15}})
		body := []byte(vpcFlowLog(30))
		s.PutObject(logBucket, vpcFlowKey, body)
		e := sm.Run("poison", objectCreated(logBucket, vpcFlowKey, len(body)))
		if e.Status != "FAILED" || e.Error != "ChunksDeadLettered" {
			t.Fatalf("want FAILED/ChunksDeadLettered so the failure shows, got %s %s %s\n%s", e.Status, e.Error, e.Cause, e.Trace())
		}
		// The execution failed after Summarize: the counts are its answer.
		sums := s.Invocations("split")
		last := sums[len(sums)-1]
		var sum pipeline.Summary
		if err := json.Unmarshal(last.Response, &sum); err != nil || sum.FailedChunks != 1 {
			t.Fatalf("summary %s: %v", last.Response, err)
		}
		c := sum.Counts
		if c.RecordsIn != c.Indexed+c.DeadLettered+c.Skipped {
			t.Errorf("accounting identity broken: %+v", c)
		}
		if c.RecordsIn != 30 || c.Indexed != 20 || c.DeadLettered != 10 || len(sink.Docs()) != 20 {
			t.Errorf("counts %+v (%d docs), want 30 in, 20 indexed, 10 dead-lettered", c, len(sink.Docs()))
		}
		if keys := s.ListKeys(stagingBucket, "dead-letter/chunk/"); len(keys) != 1 {
			t.Errorf("chunk dead letters %v", keys)
		}
	})

	t.Run("InlineFailureDeadLettersAndFails", func(t *testing.T) {
		s := srv.For(t)
		sm := deployIngest(t, s, pipeline.StepsConfig{Indexer: &poisonIndexer{Indexer: bulktest.NewMemorySink(), record: 2}})
		body := []byte(vpcFlowLog(5))
		s.PutObject(logBucket, vpcFlowKey, body)
		e := sm.Run("inline-poison", objectCreated(logBucket, vpcFlowKey, len(body)))
		if e.Status != "FAILED" || e.Error != "ChunkDeadLettered" {
			t.Fatalf("want FAILED/ChunkDeadLettered so the failure shows, got %s %s\n%s", e.Status, e.Error, e.Trace())
		}
		if keys := s.ListKeys(stagingBucket, "dead-letter/chunk/"); len(keys) != 1 {
			t.Errorf("chunk dead letters %v", keys)
		}
	})

	t.Run("UnparsableLinesDeadLettered", func(t *testing.T) {
		s := srv.For(t)
		sink := bulktest.NewMemorySink()
		sm := deployIngest(t, s, pipeline.StepsConfig{Indexer: sink})
		body := []byte(vpcFlowLog(4) + "2 123456789012 truncated\n")
		s.PutObject(logBucket, vpcFlowKey, body)
		e := sm.Run("bad-line", objectCreated(logBucket, vpcFlowKey, len(body)))
		if e.Status != "SUCCEEDED" {
			t.Fatalf("%s %s\n%s", e.Status, e.Error, e.Trace())
		}
		c := outputCounts(t, e)
		if c.RecordsIn != 5 || c.Indexed != 4 || c.DeadLettered != 1 {
			t.Errorf("counts %+v", c)
		}
		if keys := s.ListKeys(stagingBucket, "dead-letter/parse/"); len(keys) != 1 {
			t.Errorf("parse dead letters %v", keys)
		}
	})

	t.Run("SkippedObject", func(t *testing.T) {
		s := srv.For(t)
		sm := deployIngest(t, s, pipeline.StepsConfig{Indexer: bulktest.NewMemorySink()})
		e := sm.Run("skip", objectCreated(logBucket, "notes/readme.txt", 10))
		if e.Status != "SUCCEEDED" || !strings.Contains(string(e.Output), pipeline.SkipUnknownType) {
			t.Fatalf("%s %s\n%s", e.Status, e.Output, e.Trace())
		}
		if n := s.InvocationCounts()["load"]; n != 0 {
			t.Errorf("a skipped object was loaded %d times", n)
		}
	})
}
