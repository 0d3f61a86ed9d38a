package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/pipeline"
)

// events/replay-index.json against an index dead letter in staging.
func TestHandlerWithEvent(t *testing.T) {
	ctx := context.Background()
	var req Request
	b, _ := os.ReadFile("../../events/replay-index.json")
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	store := blobtest.NewMemory()
	dl, _ := json.Marshal(pipeline.DeadLetter{Step: "index", Source: "s3://logs/x", LogType: "cloudtrail", Record: 1, Reason: "OpenSearch 400 mapper_parsing_exception",
		Index: "log-aws-cloudtrail-2024-03", ID: "e1", Doc: json.RawMessage(`{"a":1}`)})
	store.Put(ctx, "staging", "dead-letter/index/logs/x/00000.ndjson", append(dl, '\n'))
	sink := bulktest.NewMemorySink()
	steps, err := pipeline.NewSteps(pipeline.StepsConfig{Store: store, StagingBucket: "staging", Indexer: sink})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := handler(steps)(ctx, req)
	if err != nil || rep.Indexed != 1 || rep.FilesCleared != 1 || len(sink.Docs()) != 1 {
		t.Errorf("%+v %v", rep, err)
	}
}
