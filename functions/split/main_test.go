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
