package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/pipeline/pipelinetest"
)

func TestIndexEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	if _, err := env.Steps.Invoke(context.Background(), "parse", pipelinetest.Event(t, "parse-chunk.json")); err != nil {
		t.Fatal(err)
	}
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "index-step.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	json.Unmarshal(res, &out)
	if out.Counts.Indexed != 2 || out.Counts.Pending != 0 {
		t.Errorf("counts %+v", out.Counts)
	}
	docs := env.Sink.Docs()
	if len(docs) != 2 || !strings.HasPrefix(docs[0].Index, "log-aws-vpcflowlogs-2021-03") {
		t.Fatalf("indexed %+v", docs)
	}
}

func TestIndexSummarizeEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "index-summarize.json"))
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
