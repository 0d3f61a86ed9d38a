package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/pipeline/pipelinetest"
)

func TestParseEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "parse-chunk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	json.Unmarshal(res, &out)
	// The AWS documentation's v5 sample: two records, both parse.
	if out.Counts.RecordsIn != 2 || out.Counts.Pending != 2 || out.Counts.DeadLettered != 0 {
		t.Errorf("counts %+v", out.Counts)
	}
	var in pipeline.StepOutput
	json.Unmarshal(pipelinetest.Event(t, "enrich-step.json"), &in)
	if out.Docs != in.Docs {
		t.Errorf("documents at %+v, events/enrich-step.json names %+v", out.Docs, in.Docs)
	}
}

func TestParseChunkFailureEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "parse-chunk-failure.json"))
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
