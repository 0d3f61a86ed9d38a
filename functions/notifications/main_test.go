package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/siemloader/siem/shared/notify"
)

type starter struct{ names, inputs []string }

func (s *starter) Start(_ context.Context, name, input string) error {
	s.names, s.inputs = append(s.names, name), append(s.inputs, input)
	return nil
}

// The events/ samples as the function receives them.
func TestNotificationEvents(t *testing.T) {
	for _, f := range []string{"notifications-logarchive-sqs.json", "notifications-securitylake-sqs.json", "notifications-ingestqueue-sqs.json"} {
		b, err := os.ReadFile("../../events/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.SQSEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		st := &starter{}
		resp, _ := handler(notify.Dispatcher{Starter: st})(context.Background(), ev)
		if len(resp.BatchItemFailures) != 0 || len(st.names) == 0 {
			t.Errorf("%s: failures %v, started %v", f, resp.BatchItemFailures, st.names)
		}
		if f == "notifications-ingestqueue-sqs.json" && (len(st.names) != 1 || !strings.HasPrefix(st.names[0], "batch-3-")) {
			t.Errorf("%s: three small objects of the log bucket start one batch execution, got %v", f, st.names)
		}
	}
}

func TestBatchingFromEnvironment(t *testing.T) {
	env := map[string]string{"BATCH_MAX_OBJECTS": "50", "BATCH_MAX_BYTES": "1048576", "BATCH_OBJECT_MAX_BYTES": "262144"}
	b, err := batching(func(k string) string { return env[k] })
	if err != nil || b != (notify.Batching{MaxObjects: 50, MaxBytes: 1 << 20, ObjectMaxBytes: 256 << 10}) {
		t.Errorf("batching %+v, %v", b, err)
	}
	env["BATCH_MAX_BYTES"] = "lots"
	if _, err := batching(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "BATCH_MAX_BYTES") {
		t.Errorf("a bad value must name its variable: %v", err)
	}
}
