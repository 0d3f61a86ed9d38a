// Package notify is the dispatcher: it starts ingest executions for the
// objects announced on SQS queues: the stack's ingest queue (the log
// bucket's and extra buckets' EventBridge "Object Created" events), a
// Control Tower or organization log archive's S3 event notifications
// (direct, or through SNS), a Security Lake subscriber's events. Small
// objects are grouped into one execution per batch, big ones get one
// execution each (see Dispatcher).
package notify

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Object is one announced object. Key is as the notification carries it
// (URL-encoded); the split step decodes it once.
type Object struct {
	Bucket string
	Key    string
	Size   *int64
	// Version tells two writes of the same key apart (sequencer, version
	// id or etag), so a rewritten object is loaded again while a repeated
	// notification of the same write is not.
	Version string
}

// ErrNotNotification is returned for a message that announces nothing this
// package knows.
var ErrNotNotification = errors.New("not an S3 object notification (S3 event, SNS-wrapped S3 event or EventBridge Object Created)")

// Parse returns the created objects a message body announces. An S3 test
// event or a notification of a deletion announces none.
func Parse(body string) ([]Object, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotNotification, err)
	}
	if raw, ok := m["Message"]; ok && m["TopicArn"] != nil {
		// SNS envelope: the notification is the Message string.
		var inner string
		if err := json.Unmarshal(raw, &inner); err != nil {
			return nil, fmt.Errorf("%w: SNS Message is not a string", ErrNotNotification)
		}
		return Parse(inner)
	}
	if ev, ok := m["Event"]; ok && string(ev) == `"s3:TestEvent"` {
		return nil, nil
	}
	if _, ok := m["Records"]; ok {
		var n events.S3Event
		if err := json.Unmarshal([]byte(body), &n); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotNotification, err)
		}
		var out []Object
		for _, r := range n.Records {
			if r.EventSource != "aws:s3" || !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				continue
			}
			size := r.S3.Object.Size
			out = append(out, Object{Bucket: r.S3.Bucket.Name, Key: r.S3.Object.Key, Size: &size,
				Version: cmp.Or(r.S3.Object.Sequencer, r.S3.Object.VersionID, r.S3.Object.ETag)})
		}
		return out, nil
	}
	var eb struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Detail     struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				Size      *int64 `json:"size"`
				Sequencer string `json:"sequencer"`
				VersionID string `json:"version-id"`
				ETag      string `json:"etag"`
			} `json:"object"`
		} `json:"detail"`
	}
	if err := json.Unmarshal([]byte(body), &eb); err == nil && eb.DetailType == "Object Created" && eb.Detail.Bucket.Name != "" && eb.Detail.Object.Key != "" {
		o := eb.Detail.Object
		return []Object{{Bucket: eb.Detail.Bucket.Name, Key: o.Key, Size: o.Size, Version: cmp.Or(o.Sequencer, o.VersionID, o.ETag)}}, nil
	}
	return nil, ErrNotNotification
}

// Input is the ingest state machine's input for o: the shape of the log
// bucket's EventBridge event, which the split step reads.
func Input(o Object) string {
	obj := map[string]any{"key": o.Key}
	if o.Size != nil {
		obj["size"] = *o.Size
	}
	b, _ := json.Marshal(map[string]any{
		"detail-type": "Object Created",
		"source":      "siem.notify",
		"detail":      map[string]any{"bucket": map[string]any{"name": o.Bucket}, "object": obj},
	})
	return string(b)
}

// ExecutionName is deterministic: a notification delivered twice starts
// one execution (Step Functions refuses a second with the same name).
func ExecutionName(o Object) string {
	sum := sha256.Sum256([]byte(o.Bucket + "\x00" + o.Key + "\x00" + o.Version))
	return "obj-" + hex.EncodeToString(sum[:20])
}

// Starter starts an execution; an execution that already exists with this
// name is not an error.
type Starter interface {
	Start(ctx context.Context, name, input string) error
}
