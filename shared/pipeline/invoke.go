package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/bulk"
)

// Function names Invoke takes: the deployed split and load functions.
const (
	FunctionSplit = "split"
	FunctionLoad  = "load"
)

// Action is what a split or load payload asks for: its "action" member,
// set by the state machine in the Parameters of the task that invokes the
// function (statemachines/ingest.asl.json and backfill.asl.json). Each
// action has its own members beside "action"; a member the action does
// not take is an error, so a state machine and a function that disagree
// fail loudly instead of doing the wrong thing.
type Action string

// The payload kinds. The split function takes ActionSplit (its plain
// kind), ActionFailChunk, ActionFailBatch and ActionSummarize; the load
// function ActionLoadChunk (its plain kind) and ActionLoadBatch.
// Dead-lettering and summing run in the split function so they do not
// count against the load function's reserved concurrency and still work
// while the loader is paused.
const (
	// ActionSplit: {"action": "split", "object": O}, O the object to plan
	// and cut: an S3 "Object Created" EventBridge event or {bucket, key}.
	ActionSplit Action = "split"
	// ActionFailChunk: {"action": "fail_chunk", "chunk": C, "error":
	// {Error, Cause}} from a Catch: dead-letter the chunk's records whole.
	ActionFailChunk Action = "fail_chunk"
	// ActionFailBatch: {"action": "fail_batch", "objects": [...], "error":
	// {Error, Cause}} from a Catch: dead-letter every object of a batch.
	ActionFailBatch Action = "fail_batch"
	// ActionSummarize: {"action": "summarize", "results": [...], "source":
	// S, "log_type": T} after a Map run: add up the chunks' counts.
	ActionSummarize Action = "summarize"
	// ActionLoadChunk: {"action": "load_chunk", "chunk": C}: parse, enrich
	// and index one chunk (the inline path and each Map child).
	ActionLoadChunk Action = "load_chunk"
	// ActionLoadBatch: {"action": "load_batch", "objects": [...]}: load a
	// batch of small objects in one invocation.
	ActionLoadBatch Action = "load_batch"
)

// A payload without "action" (or with an empty one) is the function's
// plain kind in its bare form: for split the payload itself is the object
// (the S3 EventBridge event, as in events/split-eventbridge-*.json), for
// load the payload itself is a Chunk. That keeps `sam local invoke` with
// a raw event and hand-written payloads working; the state machines
// always name the action.
var functionActions = map[string][]Action{
	FunctionSplit: {ActionSplit, ActionFailChunk, ActionFailBatch, ActionSummarize},
	FunctionLoad:  {ActionLoadChunk, ActionLoadBatch},
}

// actionMembers are the members each action takes beside "action";
// required ones must be present and not null.
var actionMembers = map[Action]struct{ required, optional []string }{
	ActionSplit:     {required: []string{"object"}},
	ActionFailChunk: {required: []string{"chunk", "error"}},
	ActionFailBatch: {required: []string{"objects", "error"}},
	ActionSummarize: {required: []string{"results"}, optional: []string{"source", "log_type"}},
	ActionLoadChunk: {required: []string{"chunk"}},
	ActionLoadBatch: {required: []string{"objects"}},
}

// Actions returns the actions a function takes, its plain kind (the one
// a payload without action is) first; nil for an unknown function.
func Actions(function string) []Action {
	return append([]Action(nil), functionActions[function]...)
}

// ActionMembers returns the members an action's payload takes beside
// "action": the required ones, then the optional ones.
func ActionMembers(a Action) (required, optional []string) {
	m := actionMembers[a]
	return append([]string(nil), m.required...), append([]string(nil), m.optional...)
}

func actionList(function string) string {
	var names []string
	for _, a := range functionActions[function] {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}

// payloadOf reads a payload's action and, for an enveloped payload, its
// members, checked against the action. bare is true when the payload has
// no action: it is then the function's plain kind as is.
func payloadOf(function string, payload []byte) (action Action, members map[string]json.RawMessage, bare bool, err error) {
	accepted, ok := functionActions[function]
	if !ok {
		return "", nil, false, fmt.Errorf("no function named %q: want %s or %s", function, FunctionSplit, FunctionLoad)
	}
	if err := json.Unmarshal(payload, &members); err != nil || members == nil {
		return "", nil, false, fmt.Errorf("%s payload is not a JSON object (want {\"action\": one of %s, ...}): %v", function, actionList(function), err)
	}
	raw, has := members["action"]
	if !has || string(raw) == "null" {
		return accepted[0], nil, true, nil
	}
	if err := json.Unmarshal(raw, &action); err != nil {
		return "", nil, false, fmt.Errorf("%s payload: action %s is not a string: want one of %s", function, raw, actionList(function))
	}
	if action == "" {
		return accepted[0], nil, true, nil
	}
	if !slices.Contains(accepted, action) {
		return action, nil, false, fmt.Errorf("%s payload: unknown action %q: the %s function takes %s", function, action, function, actionList(function))
	}
	spec := actionMembers[action]
	for name := range members {
		if name != "action" && !slices.Contains(spec.required, name) && !slices.Contains(spec.optional, name) {
			return action, nil, false, fmt.Errorf("%s payload: action %q takes no member %q (it takes %s)", function, action, name, strings.Join(append(spec.required, spec.optional...), ", "))
		}
	}
	for _, name := range spec.required {
		if v, ok := members[name]; !ok || string(v) == "null" {
			return action, nil, false, fmt.Errorf("%s payload: action %q needs member %q", function, action, name)
		}
	}
	return action, members, false, nil
}

// Invoke runs the split or load function on a Lambda payload and returns
// the JSON result: the in-process equivalent of invoking the function
// (the Lambda handlers, the state machine tests on moto).
func (s *Steps) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	_, out, err := s.invoke(ctx, function, payload)
	return out, err
}

func (s *Steps) invoke(ctx context.Context, function string, payload []byte) (Action, []byte, error) {
	action, members, bare, err := payloadOf(function, payload)
	if err != nil {
		return action, nil, err
	}
	// member decodes one member of an enveloped payload, or for a bare
	// one the whole payload, into v.
	member := func(name string, v any) error {
		raw := payload
		if !bare {
			raw = members[name]
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("%s payload, action %q, %s: %w", function, action, name, err)
		}
		return nil
	}
	var out any
	switch action {
	case ActionSplit:
		var in SplitInput
		if err = member("object", &in); err == nil {
			out, err = s.Split(ctx, in)
		}
		if err != nil && bare {
			err = fmt.Errorf("%w (a payload without action is the object to split; the %s function takes actions %s)", err, function, actionList(function))
		}
	case ActionFailChunk:
		var f ChunkFailure
		if err = json.Unmarshal(payload, &f); err == nil {
			out, err = s.FailChunk(ctx, f)
		}
	case ActionFailBatch:
		var f BatchFailure
		if err = json.Unmarshal(payload, &f); err == nil {
			out, err = s.FailBatch(ctx, f)
		}
	case ActionSummarize:
		var in struct {
			Results []json.RawMessage `json:"results"`
			Source  ObjectRef         `json:"source"`
			LogType string            `json:"log_type"`
		}
		if err = json.Unmarshal(payload, &in); err == nil {
			out, err = summarize(in.Results, in.Source, in.LogType)
		}
	case ActionLoadChunk:
		var c Chunk
		if err = member("chunk", &c); err == nil {
			if c.LogType == "" || c.Data.Key == "" {
				err = fmt.Errorf("%s payload, action %q: the chunk names no log_type or data: want {source, log_type, data, staged, seq}", function, action)
				if bare {
					err = fmt.Errorf("%w (a payload without action is a bare chunk; the %s function takes actions %s)", err, function, actionList(function))
				}
			} else {
				out, err = s.loadChunk(ctx, c)
			}
		}
	case ActionLoadBatch:
		var in BatchInput
		if err = json.Unmarshal(payload, &in); err == nil {
			out, err = s.LoadBatch(ctx, in)
		}
	default:
		// payloadOf lets through only the actions of functionActions.
		err = fmt.Errorf("%s payload: action %q has no handler", function, action)
	}
	if err != nil {
		return action, nil, LambdaError(err)
	}
	b, err := json.Marshal(out)
	return action, b, err
}

// summarize adds up a Map run's results for one object.
func summarize(results []json.RawMessage, source ObjectRef, logType string) (Summary, error) {
	sum, err := Summarize(results)
	if source.Key != "" {
		sum.Source = source
	}
	if logType != "" {
		sum.LogType = logType
	}
	return sum, err
}

// LambdaError returns the error a handler should return so Lambda reports
// the right errorType: aws-lambda-go names the error's Go type, and the
// state machine retries "RetryableError".
func LambdaError(err error) error {
	var re *bulk.RetryableError
	if errors.As(err, &re) {
		return re
	}
	return err
}

// Handler is a Lambda handler for one step; functions/<fn>/main.go passes
// it to lambda.Start. Each invocation logs one structured line (the object,
// the log type, the counts or the error) for CloudWatch Logs Insights.
func Handler(s *Steps, function string) func(context.Context, json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		start := time.Now()
		action, out, err := s.invoke(ctx, function, payload)
		attrs := []any{"step", function, "action", string(action), "ms", time.Since(start).Milliseconds()}
		var summary struct {
			Source     ObjectRef `json:"source"`
			LogType    string    `json:"log_type"`
			SkipReason string    `json:"skip_reason"`
			Chunk      *Chunk    `json:"chunk"`
			Counts     *Counts   `json:"counts"`
		}
		if err == nil {
			json.Unmarshal(out, &summary)
		} else {
			json.Unmarshal(payload, &summary)
		}
		if summary.Chunk != nil && summary.Source.Key == "" {
			summary.Source, summary.LogType = summary.Chunk.Source, summary.Chunk.LogType
			attrs = append(attrs, "chunk", summary.Chunk.Seq)
		}
		attrs = append(attrs, "s3_bucket", summary.Source.Bucket, "s3_key", summary.Source.Key, "log_type", summary.LogType)
		if err != nil {
			slog.ErrorContext(ctx, "step failed", append(attrs, "error", err.Error(), "error_type", errorTypeName(err))...)
			return nil, err
		}
		if summary.SkipReason != "" {
			attrs = append(attrs, "skip_reason", summary.SkipReason)
		}
		if summary.Counts != nil {
			attrs = append(attrs, "records_in", summary.Counts.RecordsIn, "indexed", summary.Counts.Indexed,
				"dead_lettered", summary.Counts.DeadLettered, "skipped", summary.Counts.Skipped, "pending", summary.Counts.Pending)
		}
		slog.InfoContext(ctx, "step done", attrs...)
		if m := s.cfg.Metrics; m != nil {
			for _, l := range MetricLines(function, action, out, time.Now()) {
				if err := m.Write(l); err != nil {
					slog.WarnContext(ctx, "metrics not written", "error", err.Error())
				}
			}
		}
		return out, nil
	}
}

func errorTypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
