package moto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync/atomic"
	"testing"
)

// A state machine of the shapes the project uses, independent of its code:
// Task (with Retry) -> Choice -> Distributed Map reading a JSON manifest
// from S3 -> child Task; failures the Retry does not cover are caught.
const harnessASL = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${PrepareFunctionArn}", "Payload.$": "$"},
      "OutputPath": "$.Payload",
      "Retry": [{"ErrorEquals": ["RetryableError"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
      "Next": "Route"
    },
    "Route": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.count", "NumericGreaterThan": 0, "Next": "Fanout"}],
      "Default": "Nothing"
    },
    "Nothing": {"Type": "Succeed"},
    "Caught": {"Type": "Fail", "Error": "Caught", "Cause": "Prepare failed for good"},
    "Fanout": {
      "Type": "Map",
      "ItemReader": {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket.$": "$.manifest.bucket", "Key.$": "$.manifest.key"}
      },
      "ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "${ChildExecutionType}"},
        "StartAt": "Child",
        "States": {
          "Child": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${ChildFunctionArn}", "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": true
          }
        }
      },
      "MaxConcurrency": 2,
      "ResultPath": "$.results",
      "End": true
    }
  }
}`

var harnessSubs = map[string]string{
	"PrepareFunctionArn": LambdaARN("prepare"),
	// A full ARN and a bare name must both reach the handler.
	"ChildFunctionArn":   "child",
	"ChildExecutionType": "STANDARD",
}

// RetryableError has the type name the ASL Retry matches, as the project's
// bulk.RetryableError does.
type RetryableError struct{ Reason string }

func (e *RetryableError) Error() string { return "retryable: " + e.Reason }

type item struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// setup recreates what Reset cleared: the bucket, the manifest, the machine.
func setup(s *Server) *StateMachine {
	s.Reset()
	s.CreateBucket("harness")
	manifest, _ := json.Marshal([]item{{"a", 1}, {"b", 2}, {"c", 3}})
	s.PutObject("harness", "manifests/three.json", manifest)
	return s.CreateStateMachine("harness", harnessASL, harnessSubs)
}

// prepare answers with the manifest to read; it fails failFirst times with
// a RetryableError first.
func prepare(calls *atomic.Int32, failFirst int32, failWith func() error) Handler {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		if n := calls.Add(1); n <= failFirst {
			if failWith != nil {
				return nil, failWith()
			}
			return nil, &RetryableError{Reason: fmt.Sprintf("attempt %d throttled", n)}
		}
		var in struct {
			Count int `json:"count"`
		}
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{
			"count":    in.Count,
			"manifest": map[string]string{"bucket": "harness", "key": "manifests/three.json"},
		})
	}
}

func child(ctx context.Context, payload []byte) ([]byte, error) {
	var in struct {
		Item  item `json:"item"`
		Index int  `json:"index"`
	}
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"name": in.Item.Name, "double": in.Item.N * 2, "index": in.Index})
}

func TestHarness(t *testing.T) {
	var prepareCalls atomic.Int32
	var failFirst atomic.Int32
	var failWith atomic.Value // func() error
	srv := Start(t, map[string]Handler{
		"prepare": func(ctx context.Context, payload []byte) ([]byte, error) {
			f, _ := failWith.Load().(func() error)
			return prepare(&prepareCalls, failFirst.Load(), f)(ctx, payload)
		},
		"child": child,
	})

	t.Run("DistributedMap", func(t *testing.T) {
		s := srv.For(t)
		sm := setup(s)
		prepareCalls.Store(0)
		e := sm.Run("map", `{"count": 3}`)
		if !e.Succeeded() {
			t.Fatalf("status %s: %s %s", e.Status, e.Error, e.Cause)
		}
		calls := s.Invocations("child")
		if len(calls) != 3 {
			t.Fatalf("child invoked %d times, want 3", len(calls))
		}
		var got []string
		for _, c := range calls {
			got = append(got, string(c.Payload))
		}
		sort.Strings(got) // children may run concurrently
		want := []string{
			`{"item":{"name":"a","n":1},"index":0}`,
			`{"item":{"name":"b","n":2},"index":1}`,
			`{"item":{"name":"c","n":3},"index":2}`,
		}
		if !jsonListsEqual(t, got, want) {
			t.Errorf("child payloads:\n got %s\nwant %s", got, want)
		}
		var out struct {
			Results []struct {
				Name   string `json:"name"`
				Double int    `json:"double"`
				Index  int    `json:"index"`
			} `json:"results"`
		}
		if err := json.Unmarshal(e.Output, &out); err != nil {
			t.Fatalf("output %s: %v", e.Output, err)
		}
		if len(out.Results) != 3 || out.Results[0].Name != "a" || out.Results[2].Double != 6 {
			t.Errorf("map results (in item order) = %+v", out.Results)
		}
		if n := s.InvocationCounts()["prepare"]; n != 1 {
			t.Errorf("prepare invoked %d times, want 1", n)
		}
		runs := s.MapRuns(e.ARN)
		if len(runs) != 1 {
			t.Fatalf("map runs = %+v, want 1", runs)
		}
		if r := runs[0]; r.Items == nil || r.Items.Total != 3 || r.Items.Succeeded != 3 {
			t.Errorf("map run %s %s items %+v", r.ARN, r.Status, r.Items)
		}
		t.Logf("states: %v", e.States())
	})

	t.Run("RetryOnErrorType", func(t *testing.T) {
		s := srv.For(t)
		sm := setup(s) // a second execution needs a Reset on moto 5.2.1
		prepareCalls.Store(0)
		failFirst.Store(2)
		defer failFirst.Store(0)
		e := sm.Run("retry", `{"count": 0}`)
		if !e.Succeeded() {
			t.Fatalf("status %s: %s %s", e.Status, e.Error, e.Cause)
		}
		calls := s.Invocations("prepare")
		if len(calls) != 3 {
			t.Fatalf("prepare invoked %d times, want 3 (2 RetryableError + 1 success)", len(calls))
		}
		for i, c := range calls[:2] {
			if c.ErrorType != "RetryableError" || c.Err == nil {
				t.Errorf("call %d: error type %q (%v), want RetryableError", i, c.ErrorType, c.Err)
			}
			var body map[string]string
			json.Unmarshal(c.Response, &body)
			if body["errorType"] != "RetryableError" || body["errorMessage"] != c.Err.Error() {
				t.Errorf("call %d: error body %s", i, c.Response)
			}
		}
		if calls[2].Err != nil {
			t.Errorf("third call failed: %v", calls[2].Err)
		}
		if n := s.InvocationCounts()["child"]; n != 0 {
			t.Errorf("child invoked %d times with count 0", n)
		}
		if got := e.States(); !reflect.DeepEqual(got, []string{"Prepare", "Route", "Nothing"}) {
			t.Errorf("states %v", got)
		}
	})

	t.Run("OtherErrorTypeIsCaught", func(t *testing.T) {
		s := srv.For(t)
		sm := setup(s)
		prepareCalls.Store(0)
		failFirst.Store(1)
		failWith.Store(func() error { return errors.New("bad input") }) // errorType "errorString"
		defer func() { failFirst.Store(0); failWith.Store(func() error { return nil }) }()
		e := sm.Run("caught", `{"count": 3}`)
		if e.Status != "FAILED" || e.Error != "Caught" {
			t.Fatalf("status %s error %q, want FAILED Caught", e.Status, e.Error)
		}
		calls := s.Invocations("prepare")
		if len(calls) != 1 || calls[0].ErrorType != "errorString" {
			t.Fatalf("prepare calls %+v, want 1 failing with errorString (not retried)", calls)
		}
	})

	t.Run("FailedMapItemIsNotSuccess", func(t *testing.T) {
		// moto 5.2.1 lets a Distributed Map whose items all failed succeed;
		// Succeeded() must not.
		s := srv.For(t)
		sm := setup(s)
		prepareCalls.Store(0)
		s.Handle("child", func(ctx context.Context, payload []byte) ([]byte, error) {
			return nil, &RetryableError{Reason: "always"}
		})
		defer s.Handle("child", child)
		e := sm.Run("failing-children", `{"count": 3}`)
		if e.Succeeded() || e.FailedMapItems != 3 {
			t.Fatalf("status %s, %d failed map items: want not succeeded with 3", e.Status, e.FailedMapItems)
		}
		if e.Status != "SUCCEEDED" {
			t.Logf("moto now reports %s for a failed Distributed Map: update the README", e.Status)
		}
	})
}

func TestHarnessFunctionName(t *testing.T) {
	for in, want := range map[string]string{
		"split":      "split",
		"split:live": "split",
		"arn:aws:lambda:us-east-1:123456789012:function:split":         "split",
		"arn:aws:lambda:us-east-1:123456789012:function:split:$LATEST": "split",
		"123456789012:function:split":                                  "split",
	} {
		if got := FunctionName(in); got != want {
			t.Errorf("FunctionName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := LambdaErrorResponse(&RetryableError{}).Type; got != "RetryableError" {
		t.Errorf("pointer error type %q", got)
	}
	if _, err := Substitute(`{"a":"${Missing}"}`, nil); err == nil {
		t.Error("missing substitution not reported")
	}
}

func jsonListsEqual(t *testing.T, got, want []string) bool {
	t.Helper()
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		var g, w any
		if json.Unmarshal([]byte(got[i]), &g) != nil || json.Unmarshal([]byte(want[i]), &w) != nil || !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}
