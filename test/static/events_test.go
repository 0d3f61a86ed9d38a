package static_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/siemloader/siem/shared/backfill"
	"github.com/siemloader/siem/shared/iocjob"
	"github.com/siemloader/siem/shared/notify"
	"github.com/siemloader/siem/shared/pipeline"
)

// jsonUnmarshalStrict decodes one JSON value, refusing unknown fields.
func jsonUnmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// s3Event is the EventBridge "Object Created" event as S3 sends it.
type s3Event struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     struct {
		Version string `json:"version"`
		Bucket  struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      *int64 `json:"size"`
			ETag      string `json:"etag"`
			VersionID string `json:"version-id,omitempty"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
		RequestID       string `json:"request-id"`
		Requester       string `json:"requester"`
		SourceIPAddress string `json:"source-ip-address"`
		Reason          string `json:"reason"`
	} `json:"detail"`
}

// summarizeInput is what the Summarize state sends the split function.
type summarizeInput struct {
	Action  pipeline.Action       `json:"action"`
	Results []pipeline.StepOutput `json:"results"`
	Source  pipeline.ObjectRef    `json:"source"`
	LogType string                `json:"log_type"`
}

// checkAction: an enveloped event names the action its function takes.
func checkAction(got, want pipeline.Action) error {
	if got != want {
		return fmt.Errorf("action %q, want %q", got, want)
	}
	return nil
}

// TestEvents decodes every events/ sample into the type its function
// takes, refusing unknown fields, so a renamed contract field shows here.
// Each function of the template has at least one <function>-*.json event.
func TestEvents(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, "events", "*.json"))
	prefixes := map[string]int{}
	for _, fn := range loadTemplate(t).functions() {
		prefixes[strings.ToLower(strings.TrimSuffix(fn.ID, "Function"))] = 0
	}
	for _, f := range files {
		name := filepath.Base(f)
		if name == "env.json" {
			continue // TestTemplateEnvironment
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		prefix, _, _ := strings.Cut(name, "-")
		if _, ok := prefixes[prefix]; !ok {
			t.Errorf("%s: name it <function>-<case>.json, function one of %v (make invoke-<Function> picks events by prefix)", name, sortedKeys(prefixes))
		} else {
			prefixes[prefix]++
		}
		var err2 error
		switch {
		case strings.HasPrefix(name, "split-eventbridge-"):
			err2 = checkS3Event(b)
		case name == "split-chunk-failure.json":
			var v struct {
				Action pipeline.Action `json:"action"`
				pipeline.ChunkFailure
			}
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil {
				err2 = errors.Join(checkAction(v.Action, pipeline.ActionFailChunk), checkChunk(v.Chunk))
				if v.Error.Error == "" {
					err2 = fmt.Errorf("error.Error is empty")
				}
			}
		case name == "split-summarize.json":
			var v summarizeInput
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil && len(v.Results) == 0 {
				err2 = fmt.Errorf("results is empty")
			} else if err2 == nil {
				err2 = checkAction(v.Action, pipeline.ActionSummarize)
			}
		case name == "load-batch.json":
			var v struct {
				Action pipeline.Action `json:"action"`
				pipeline.BatchInput
			}
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil && len(v.Objects) == 0 {
				err2 = fmt.Errorf("objects is empty")
			} else if err2 == nil {
				err2 = checkAction(v.Action, pipeline.ActionLoadBatch)
			}
			for _, o := range v.Objects {
				if _, err := o.Source(); err2 == nil && err != nil {
					err2 = err
				}
			}
		case strings.HasPrefix(name, "load-"):
			var v struct {
				Action pipeline.Action `json:"action"`
				Chunk  pipeline.Chunk  `json:"chunk"`
			}
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil {
				err2 = errors.Join(checkAction(v.Action, pipeline.ActionLoadChunk), checkChunk(v.Chunk))
			}
		case strings.HasPrefix(name, "notifications-"):
			var v events.SQSEvent
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil {
				err2 = checkNotifications(v)
			}
		case strings.HasPrefix(name, "backfill-"):
			var v backfill.State
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil {
				err2 = v.Request.Validate()
			}
		case strings.HasPrefix(name, "iocdownload-"):
			var v iocjob.Source
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil && v.Source == "" {
				err2 = fmt.Errorf("no source")
			}
		case strings.HasPrefix(name, "ioccreatedb-"):
			// The download Map's results: each a download's output, or its
			// input with the caught error.
			var v []struct {
				Source string          `json:"source"`
				Files  int             `json:"files"`
				Bytes  int             `json:"bytes"`
				Error  json.RawMessage `json:"error"`
			}
			if err2 = jsonUnmarshalStrict(b, &v); err2 == nil && len(v) == 0 {
				err2 = fmt.Errorf("no download results")
			}
		default:
			var v map[string]any
			err2 = json.Unmarshal(b, &v)
		}
		if err2 != nil {
			t.Errorf("%s: %v", name, err2)
		}
	}
	for p, n := range prefixes {
		if n == 0 {
			t.Errorf("no events/%s-*.json for sam local invoke", p)
		}
	}
}

// checkS3Event checks an EventBridge sample: shape, the split function's
// view of it, and, when the object is one of testdata/demo, its size.
func checkS3Event(b []byte) error {
	var ev s3Event
	if err := jsonUnmarshalStrict(b, &ev); err != nil {
		return err
	}
	if ev.Source != "aws.s3" || ev.DetailType != "Object Created" {
		return fmt.Errorf("source %q detail-type %q: the rule matches aws.s3 / Object Created", ev.Source, ev.DetailType)
	}
	if ev.Detail.Object.Size == nil {
		return fmt.Errorf("detail.object.size is missing")
	}
	var in pipeline.SplitInput
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	if in.Detail == nil || in.Detail.Bucket.Name == "" || in.Detail.Object.Key == "" {
		return fmt.Errorf("split sees no bucket/key in it")
	}
	if want := "arn:aws:s3:::" + ev.Detail.Bucket.Name; len(ev.Resources) != 1 || ev.Resources[0] != want {
		return fmt.Errorf("resources %v, want [%s]", ev.Resources, want)
	}
	if info, err := os.Stat(filepath.Join(root, "testdata", "demo", filepath.FromSlash(ev.Detail.Object.Key))); err == nil && info.Size() != *ev.Detail.Object.Size {
		return fmt.Errorf("size %d, but testdata/demo/%s has %d bytes", *ev.Detail.Object.Size, ev.Detail.Object.Key, info.Size())
	}
	return nil
}

// checkNotifications: every message announces objects the split step can
// read (the function turns each into the log bucket's event shape).
func checkNotifications(ev events.SQSEvent) error {
	if len(ev.Records) == 0 {
		return fmt.Errorf("no messages")
	}
	for _, m := range ev.Records {
		objs, err := notify.Parse(m.Body)
		if err != nil {
			return fmt.Errorf("message %s: %w", m.MessageId, err)
		}
		if len(objs) == 0 {
			return fmt.Errorf("message %s announces no object", m.MessageId)
		}
		for _, o := range objs {
			var in pipeline.SplitInput
			if err := json.Unmarshal([]byte(notify.Input(o)), &in); err != nil {
				return err
			}
			if _, err := in.Source(); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkChunk(c pipeline.Chunk) error {
	if c.LogType == "" || c.Source.Bucket == "" || c.Source.Key == "" || c.Data.Bucket == "" || c.Data.Key == "" {
		return fmt.Errorf("chunk lacks source, log_type or data: %+v", c)
	}
	if !c.Staged && c.Data != c.Source {
		return fmt.Errorf("an unstaged chunk reads its source: data %+v != source %+v", c.Data, c.Source)
	}
	return nil
}
