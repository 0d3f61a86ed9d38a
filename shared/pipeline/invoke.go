package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/siemloader/siem/shared/bulk"
)

// Invoke runs one step by its function name with a Lambda payload and
// returns the JSON result. The deployed state machine uses "split" (plan
// and cut, dead-letter, summarize) and "load" (a chunk or a batch of small
// objects: parse, enrich and index in one pass); "parse", "enrich" and
// "index" are the separate steps with staged documents: the in-process equivalent of invoking the
// function (used by the local runner and the state machine tests).
func (s *Steps) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	var out any
	var err error
	switch function {
	case "split":
		out, err = s.HandleSplit(ctx, payload)
	case "load":
		out, err = s.HandleLoad(ctx, payload)
	case "batch":
		var in BatchInput
		if err = json.Unmarshal(payload, &in); err == nil {
			out, err = s.LoadBatch(ctx, in)
		}
	case "parse":
		out, err = s.HandleParse(ctx, payload)
	case "enrich":
		var in StepOutput
		if err = json.Unmarshal(payload, &in); err == nil {
			out, err = s.Enrich(ctx, in)
		}
	case "index":
		out, err = s.HandleIndex(ctx, payload)
	default:
		return nil, fmt.Errorf("no step named %q", function)
	}
	if err != nil {
		return nil, LambdaError(err)
	}
	return json.Marshal(out)
}

// HandleParse accepts a Chunk, or a ChunkFailure from the state machine's
// Catch (it has an "error" member), and runs Parse or FailChunk.
func (s *Steps) HandleParse(ctx context.Context, payload []byte) (StepOutput, error) {
	var probe struct {
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return StepOutput{}, fmt.Errorf("parse input: %w", err)
	}
	if len(probe.Error) > 0 && string(probe.Error) != "null" {
		var f ChunkFailure
		if err := json.Unmarshal(payload, &f); err != nil {
			return StepOutput{}, fmt.Errorf("chunk failure input: %w", err)
		}
		return s.FailChunk(ctx, f)
	}
	var c Chunk
	if err := json.Unmarshal(payload, &c); err != nil {
		return StepOutput{}, fmt.Errorf("parse input: %w", err)
	}
	if c.LogType == "" || c.Data.Key == "" {
		return StepOutput{}, errors.New("parse input is not a chunk: want {source, log_type, data, staged, seq}")
	}
	return s.Parse(ctx, c)
}

// HandleIndex accepts a StepOutput, or {"summarize": [...]} after a Map run.
func (s *Steps) HandleIndex(ctx context.Context, payload []byte) (any, error) {
	var probe struct {
		Summarize []json.RawMessage `json:"summarize"`
		Source    ObjectRef         `json:"source"`
		LogType   string            `json:"log_type"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("index input: %w", err)
	}
	if probe.Summarize != nil {
		sum, err := Summarize(probe.Summarize)
		if probe.Source.Key != "" {
			sum.Source = probe.Source
		}
		if probe.LogType != "" {
			sum.LogType = probe.LogType
		}
		return sum, err
	}
	var in StepOutput
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, fmt.Errorf("index input: %w", err)
	}
	return s.Index(ctx, in)
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
		out, err := s.Invoke(ctx, function, payload)
		attrs := []any{"step", function, "ms", time.Since(start).Milliseconds()}
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
			for _, l := range MetricLines(function, out, time.Now()) {
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
