package moto

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/cost"
	"github.com/siemloader/siem/shared/notify"
	"github.com/siemloader/siem/shared/pipeline"
)

// keyPoison refuses, for good, every bulk request holding a document of
// one object.
type keyPoison struct {
	bulk.Indexer
	key string
}

func (p *keyPoison) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	for _, d := range docs {
		if bytes.Contains(d.Source, []byte(p.key)) {
			return bulk.Result{}, fmt.Errorf("cluster refused the request: index_closed_exception")
		}
	}
	return p.Indexer.Index(ctx, docs)
}

// The dispatcher on moto: ten small objects announced on the ingest queue
// start three batch executions (at most four objects each), each one Load
// invocation for its objects and no split. A file the cluster refuses for
// good is dead-lettered whole and fails its execution (so it shows in the
// console) while its batch-mates load; the unknown key is a counted skip.
func TestDispatchBatchesOnMoto(t *testing.T) {
	srv := Start(t, nil)
	s := srv.For(t)
	sink := bulktest.NewMemorySink()
	poisoned := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T0030Z_p.log.gz"
	objects := map[string][]byte{}
	var msgs []events.SQSMessage
	put := func(key string, body []byte) {
		objects[key] = body
		msgs = append(msgs, events.SQSMessage{MessageId: fmt.Sprint("m", len(msgs)), Body: objectCreated(logBucket, key, len(body))})
	}
	for i := range 6 {
		put(fmt.Sprintf("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T00%02dZ_h.log.gz", i*5), gzipped(vpcFlowLog(5)))
	}
	put(poisoned, gzipped(vpcFlowLog(5)))
	for i := range 2 {
		put(fmt.Sprintf("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/123456789012_CloudTrail_us-east-1_20240115T00%02dZ_c.json.gz", i*5), gzipped(cloudTrailLog()))
	}
	put("notes/readme.txt", []byte("not a log"))

	plan := notify.Dispatcher{Batching: notify.Batching{MaxObjects: 4}}.Plan(events.SQSEvent{Records: msgs})
	if len(plan.Executions) != 3 || len(plan.Failed) != 0 {
		t.Fatalf("plan %+v, want 3 batches for 10 objects of at most 4", plan)
	}
	// moto 5.2.1 runs one execution per reset (handbook, local-aws.md):
	// each planned execution runs on a fresh deployment of the objects.
	var total pipeline.Counts
	var nObjects, failedObjects, skippedObjects, loads, splits int
	var outcomes, deadLetters []string
	for _, pe := range plan.Executions {
		sm := deployIngest(t, s, pipeline.StepsConfig{Indexer: &keyPoison{Indexer: sink, key: poisoned},
			Now: func() time.Time { return time.Date(2024, 1, 15, 1, 0, 0, 0, time.UTC) }})
		for k, b := range objects {
			s.PutObject(logBucket, k, b)
		}
		s.ClearInvocations()
		e := sm.Run(pe.Name, pe.Input)
		outcomes = append(outcomes, string(e.Status)+" "+e.Error)
		if want := []string{"Input", "LoadBatch", "AnyObjectFailed"}; len(e.States()) < 3 || !reflect.DeepEqual(e.States()[:3], want) {
			t.Errorf("%s states %v, want %v then Done or ObjectsFailed", e.Name, e.States(), want)
		}
		// What shared/cost charges per batch, measured.
		if e.Status == "SUCCEEDED" && len(e.States()) != cost.BatchTransitions {
			t.Errorf("%s entered %d states %v, shared/cost counts %d per batch", e.Name, len(e.States()), e.States(), cost.BatchTransitions)
		}
		n := s.InvocationCounts()
		loads, splits = loads+n["load"], splits+n["split"]
		// The batch result is LoadBatch's output: on success the
		// execution's output, on failure the task's response.
		out := e.Output
		if e.Status != "SUCCEEDED" {
			inv := s.Invocations("load")
			out = inv[len(inv)-1].Response
		}
		var b pipeline.BatchOutput
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("%s output %s: %v", e.Name, out, err)
		}
		nObjects += len(b.Objects)
		failedObjects += b.FailedObjects
		skippedObjects += b.SkippedObjects
		total.Add(b.Counts)
		deadLetters = append(deadLetters, s.ListKeys(stagingBucket, "dead-letter/")...)
		if keys := s.ListKeys(stagingBucket, "staging/"); len(keys) != 0 {
			t.Errorf("a batch staged %v: small objects are loaded in one pass", keys)
		}
	}
	sort.Strings(outcomes)
	if !reflect.DeepEqual(outcomes, []string{"FAILED ObjectsDeadLettered", "SUCCEEDED ", "SUCCEEDED "}) {
		t.Errorf("outcomes %v, want the poisoned object's batch failed, the others succeeded", outcomes)
	}
	if loads != 3 || splits != 0 {
		t.Errorf("%d load and %d split invocations, want one load per batch and no split", loads, splits)
	}
	if nObjects != 10 || failedObjects != 1 || skippedObjects != 1 {
		t.Errorf("%d objects, %d failed, %d skipped; want 10, 1, 1", nObjects, failedObjects, skippedObjects)
	}
	// 6 VPC files x 5 + 2 CloudTrail x 3 indexed, the poisoned file's 5
	// dead-lettered.
	if total.RecordsIn != 41 || total.Indexed != 36 || total.DeadLettered != 5 || total.RecordsIn != total.Indexed+total.DeadLettered+total.Skipped {
		t.Errorf("totals %+v, want 41 in = 36 indexed + 5 dead-lettered", total)
	}
	if n := len(sink.Docs()); n != 36 {
		t.Errorf("%d documents indexed, want 36", n)
	}
	if len(deadLetters) != 1 || !strings.Contains(deadLetters[0], "_p.log.gz") {
		t.Errorf("dead letters %v, want the poisoned object's", deadLetters)
	}
}

// The global limit on moto: the load function's reserved concurrency
// (here 2) is simulated by answering Lambda.TooManyRequestsException, as
// Lambda does, to any load invocation over the limit. A Distributed Map of
// 12 chunks at MaxConcurrency 4 contends for it; every throttled task
// waits in its Retry and runs later, so all records load, none is
// dead-lettered, and never more than 2 loads ran at once.
func TestLoadConcurrencyLimitOnMoto(t *testing.T) {
	srv := Start(t, nil)
	s := srv.For(t)
	sink := bulktest.NewMemorySink()
	sm := deployIngest(t, s, pipeline.StepsConfig{Indexer: sink, ChunkRecords: 20, InlineMaxBytes: 256,
		Now: func() time.Time { return time.Date(2024, 1, 15, 1, 0, 0, 0, time.UTC) }})
	steps, err := pipeline.NewSteps(pipeline.StepsConfig{Store: blob.S3{Client: s.S3}, StagingBucket: stagingBucket, Indexer: sink, ChunkRecords: 20, InlineMaxBytes: 256,
		Now: func() time.Time { return time.Date(2024, 1, 15, 1, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 2
	var inflight, peak, throttled, ran atomic.Int32
	s.Handle("load", func(ctx context.Context, payload []byte) ([]byte, error) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		if n > limit {
			throttled.Add(1)
			return nil, messages.InvokeResponse_Error{Type: "Lambda.TooManyRequestsException", Message: "Rate Exceeded."}
		}
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		ran.Add(1)
		time.Sleep(100 * time.Millisecond) // hold the slot so the children overlap
		return steps.Invoke(ctx, "load", payload)
	})
	body := gzipped(vpcFlowLog(240))
	s.PutObject(logBucket, vpcFlowKey, body)
	e := sm.Run("limit", objectCreated(logBucket, vpcFlowKey, len(body)))
	if !e.Succeeded() {
		t.Fatalf("execution %s %s", e.Status, e.Error)
	}
	c := outputCounts(t, e)
	if c.RecordsIn != 240 || c.Indexed != 240 || c.DeadLettered != 0 || len(sink.Docs()) != 240 {
		t.Errorf("counts %+v, %d documents: want all 240 indexed", c, len(sink.Docs()))
	}
	if peak.Load() > limit || ran.Load() != 12 {
		t.Errorf("peak %d concurrent loads (limit %d), %d loads ran (want the 12 chunks once each)", peak.Load(), limit, ran.Load())
	}
	if throttled.Load() == 0 {
		t.Errorf("no load was throttled: the Map did not contend for the limit, the test proves nothing")
	}
	t.Logf("12 chunks, MaxConcurrency 4, limit %d: %d throttled invocations retried, peak %d", limit, throttled.Load(), peak.Load())
}
