package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/pipeline"
)

// Each action of each function reaches its step: the answer is the
// step's own output type.
func TestInvokeDispatchesEachAction(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{})
	ctx := context.Background()
	f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(3)))
	src := pipeline.ObjectRef{Bucket: logBucket, Key: vpcKey}
	chunk := pipeline.Chunk{Source: src, LogType: "vpcflowlogs", Data: src}
	obj := map[string]string{"bucket": logBucket, "key": vpcKey}
	failure := map[string]string{"Error": "States.Timeout", "Cause": "timed out"}
	cases := []struct {
		function string
		payload  map[string]any
		check    func(raw []byte) bool
	}{
		{pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionSplit, "object": obj}, func(raw []byte) bool {
			var o pipeline.SplitOutput
			return json.Unmarshal(raw, &o) == nil && o.ChunkCount == 1 && o.Chunk != nil && o.LogType == "vpcflowlogs"
		}},
		{pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionFailChunk, "chunk": chunk, "error": failure}, func(raw []byte) bool {
			var o pipeline.StepOutput
			return json.Unmarshal(raw, &o) == nil && o.Counts.DeadLettered == 3
		}},
		{pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionFailBatch, "objects": []any{obj}, "error": failure}, func(raw []byte) bool {
			var o pipeline.BatchOutput
			return json.Unmarshal(raw, &o) == nil && o.FailedObjects == 1 && o.Counts.DeadLettered == 3
		}},
		{pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionSummarize, "source": src, "log_type": "vpcflowlogs",
			"results": []any{map[string]any{"counts": map[string]int{"records_in": 2, "indexed": 2}}, map[string]any{"failed": true, "counts": map[string]int{"records_in": 1, "dead_lettered": 1}}}}, func(raw []byte) bool {
			var o pipeline.Summary
			return json.Unmarshal(raw, &o) == nil && o.Chunks == 2 && o.Counts.RecordsIn == 3 && o.FailedChunks == 1 && o.Source == src
		}},
		{pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadChunk, "chunk": chunk}, func(raw []byte) bool {
			var o pipeline.StepOutput
			return json.Unmarshal(raw, &o) == nil && o.Counts.Indexed == 3
		}},
		{pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadBatch, "objects": []any{obj}}, func(raw []byte) bool {
			var o pipeline.BatchOutput
			return json.Unmarshal(raw, &o) == nil && o.Loaded == 1 && o.Counts.Indexed == 3
		}},
	}
	seen := map[pipeline.Action]bool{}
	for _, c := range cases {
		action := c.payload["action"].(pipeline.Action)
		seen[action] = true
		b, _ := json.Marshal(c.payload)
		raw, err := f.steps.Invoke(ctx, c.function, b)
		if err != nil {
			t.Errorf("%s %s: %v", c.function, action, err)
			continue
		}
		if !c.check(raw) {
			t.Errorf("%s %s: %s", c.function, action, raw)
		}
	}
	for _, fn := range []string{pipeline.FunctionSplit, pipeline.FunctionLoad} {
		for _, a := range pipeline.Actions(fn) {
			if !seen[a] {
				t.Errorf("action %s of %s is not tested", a, fn)
			}
		}
	}
}

// Unknown or misplaced actions, unknown and missing members fail with an
// error naming what the function takes.
func TestInvokeRefusesWhatTheActionDoesNotTake(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{})
	ctx := context.Background()
	for _, c := range []struct{ function, payload, want string }{
		{"split", `{"action": "explode", "object": {}}`, `unknown action "explode": the split function takes split, fail_chunk, fail_batch, summarize`},
		{"load", `{"action": "summarize", "results": []}`, `unknown action "summarize": the load function takes load_chunk, load_batch`},
		{"load", `{"action": 3}`, `is not a string: want one of load_chunk, load_batch`},
		{"split", `{"action": "summarize", "summarize": []}`, `action "summarize" takes no member "summarize" (it takes results, source, log_type)`},
		{"split", `{"action": "fail_chunk", "chunk": {"log_type": "vpcflowlogs"}}`, `action "fail_chunk" needs member "error"`},
		{"load", `{"action": "load_chunk", "chunk": null}`, `action "load_chunk" needs member "chunk"`},
		{"load", `{"action": "load_chunk", "chunk": {"log_type": ""}}`, `the chunk names no log_type or data`},
		{"load", `{"objects": []}`, `a payload without action is a bare chunk; the load function takes actions load_chunk, load_batch`},
		{"split", `{"chunk": {}, "error": {}}`, `a payload without action is the object to split; the split function takes actions split, fail_chunk, fail_batch, summarize`},
		{"split", `[1]`, `split payload is not a JSON object`},
		{"parse", `{}`, `no function named "parse": want split or load`},
	} {
		_, err := f.steps.Invoke(ctx, c.function, []byte(c.payload))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want %q", c.function, c.payload, err, c.want)
		}
	}
}

// A payload without action is the function's plain kind, as is: what
// `sam local invoke` sends from events/split-eventbridge-*.json.
func TestInvokeBarePayloadIsThePlainKind(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{})
	ctx := context.Background()
	f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(2)))
	for _, payload := range []string{
		`{"bucket": "` + logBucket + `", "key": "` + vpcKey + `"}`,
		`{"action": "", "bucket": "` + logBucket + `", "key": "` + vpcKey + `"}`,
		`{"detail-type": "Object Created", "detail": {"bucket": {"name": "` + logBucket + `"}, "object": {"key": "` + vpcKey + `"}}}`,
	} {
		raw, err := f.steps.Invoke(ctx, pipeline.FunctionSplit, []byte(payload))
		var o pipeline.SplitOutput
		if err != nil || json.Unmarshal(raw, &o) != nil || o.ChunkCount != 1 {
			t.Errorf("%s: %v %s", payload, err, raw)
		}
	}
	if got := pipeline.Actions(pipeline.FunctionSplit)[0]; got != pipeline.ActionSplit {
		t.Errorf("split's plain kind is %s", got)
	}
	if got := pipeline.Actions(pipeline.FunctionLoad)[0]; got != pipeline.ActionLoadChunk {
		t.Errorf("load's plain kind is %s", got)
	}
}

// The functions dispatch on the action, never on the payload's shape.
func TestNoShapeProbing(t *testing.T) {
	probe := regexp.MustCompile(`(?i)\bvar probe\b|probe\.`)
	for _, f := range []string{"invoke.go", "batch.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if probe.Match(b) {
			t.Errorf("%s probes a payload's shape", f)
		}
	}
}
