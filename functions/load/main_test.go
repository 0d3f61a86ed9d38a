package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/pipeline/pipelinetest"
)

// events/load-chunk.json: a whole small object, parsed, enriched and
// indexed in one invocation; nothing is staged.
func TestLoadChunkEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "load-chunk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	if err := json.Unmarshal(res, &out); err != nil {
		t.Fatal(err)
	}
	c := out.Counts
	// The AWS documentation's v5 sample: two records, both indexed.
	if c.RecordsIn != 2 || c.Indexed != 2 || c.Pending != 0 || c.DeadLettered != 0 {
		t.Errorf("counts %+v", c)
	}
	docs := env.Sink.Docs()
	if len(docs) != 2 || !strings.HasPrefix(docs[0].Index, "log-aws-vpcflowlogs-") {
		t.Fatalf("indexed %+v", docs)
	}
	if staged, _ := env.Store.List(context.Background(), pipelinetest.StagingBucket, "staging/"); len(staged) != 0 {
		t.Errorf("the fused load step staged %v", staged)
	}
}

// events/load-batch.json: what the dispatcher starts for small objects.
// Three log types load, the text file is skipped with its reason, and the
// totals keep the accounting identity.
func TestLoadBatchEvent(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	res, err := handler(env.Steps)(context.Background(), pipelinetest.Event(t, "load-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.BatchOutput
	if err := json.Unmarshal(res, &out); err != nil {
		t.Fatal(err)
	}
	if out.Loaded != 3 || out.SkippedObjects != 1 || out.FailedObjects != 0 || len(out.Objects) != 4 {
		t.Fatalf("batch %+v", out)
	}
	types := map[string]int{}
	for _, o := range out.Objects {
		if o.SkipReason != "" {
			if o.Source.Key != "other/notes.txt" {
				t.Errorf("%s skipped: %s", o.Source.Key, o.SkipReason)
			}
			continue
		}
		types[o.LogType] += o.Counts.Indexed
	}
	if types["cloudtrail"] == 0 || types["vpcflowlogs"] != 2 || types["alb"] == 0 {
		t.Errorf("indexed per log type %v", types)
	}
	c := out.Counts
	if c.RecordsIn != c.Indexed+c.DeadLettered+c.Skipped || c.Indexed != len(env.Sink.Docs()) {
		t.Errorf("totals %+v, %d documents indexed", c, len(env.Sink.Docs()))
	}
}
