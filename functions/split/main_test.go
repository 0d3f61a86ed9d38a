package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/pipeline/pipelinetest"
)

func TestSplitEvents(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	h := handler(env.Steps)
	for _, c := range []struct{ event, logType string }{
		{"split-eventbridge-cloudtrail.json", "cloudtrail"},
		{"split-eventbridge-vpcflow.json", "vpcflowlogs"},
		{"split-eventbridge-alb.json", "alb"},
	} {
		res, err := h(context.Background(), pipelinetest.Event(t, c.event))
		if err != nil {
			t.Fatalf("%s: %v", c.event, err)
		}
		var out pipeline.SplitOutput
		if err := json.Unmarshal(res, &out); err != nil {
			t.Fatal(err)
		}
		if out.LogType != c.logType || out.Skipped || out.ChunkCount != 1 || out.Chunk == nil || out.Chunk.Data != out.Source {
			t.Errorf("%s: %+v", c.event, out)
		}
	}
}

func TestSplitRejectsEventWithoutObject(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	_, err := handler(env.Steps)(context.Background(), []byte(`{"detail-type":"Object Created"}`))
	if err == nil {
		t.Fatal("an event naming no object must fail")
	}
}

// The state machine's Catch sends a chunk that failed for good here.
func TestSplitChunkFailureEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "split-chunk-failure.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	json.Unmarshal(res, &out)
	if out.Counts.RecordsIn != 2 || out.Counts.DeadLettered != 2 {
		t.Errorf("every record of a failed chunk is dead-lettered: %+v", out.Counts)
	}
	keys, _ := env.Store.List(context.Background(), pipelinetest.StagingBucket, "dead-letter/chunk/")
	if len(keys) != 1 {
		t.Errorf("dead letters: %v", keys)
	}
}

// Summarize after a Distributed Map run: the chunks' counts added up.
func TestSplitSummarizeEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "split-summarize.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum pipeline.Summary
	json.Unmarshal(res, &sum)
	c := sum.Counts
	if sum.LogType != "vpcflowlogs" || sum.Source.Key == "" {
		t.Errorf("summary names no object: %+v", sum)
	}
	if sum.Chunks != 2 || c.RecordsIn != 7 || c.Indexed != 6 || c.DeadLettered != 1 || c.RecordsIn != c.Indexed+c.DeadLettered+c.Skipped {
		t.Errorf("summary %+v", sum)
	}
}
