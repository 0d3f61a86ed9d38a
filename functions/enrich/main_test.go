package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/pipeline/pipelinetest"
)

func TestEnrichEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	// The event names the document file parse-chunk.json produces.
	if _, err := env.Steps.Invoke(context.Background(), "parse", pipelinetest.Event(t, "parse-chunk.json")); err != nil {
		t.Fatal(err)
	}
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "enrich-step.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	json.Unmarshal(res, &out)
	// Without GeoIP databases enrichment passes the documents through.
	if out.Counts.Pending != 2 || out.Docs.Key == "" {
		t.Errorf("%+v", out)
	}
}
