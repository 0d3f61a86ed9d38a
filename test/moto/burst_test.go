package moto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/notify"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/throttle"
)

// fakeLambda is the Lambda control plane the pause switch drives: one
// event source mapping (the dispatcher's, on the ingest queue) and the
// load function's reserved concurrency. The simulated event source
// mapping and load function read it; the real throttle.Switch writes it.
type fakeLambda struct {
	mu       sync.Mutex
	queueARN string
	enabled  bool
	reserved int32
}

func (f *fakeLambda) ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	state := "Disabled"
	if f.enabled {
		state = "Enabled"
	}
	return &lambda.ListEventSourceMappingsOutput{EventSourceMappings: []lambdatypes.EventSourceMappingConfiguration{
		{UUID: aws.String("esm-ingest"), EventSourceArn: aws.String(f.queueARN), State: aws.String(state)}}}, nil
}

func (f *fakeLambda) UpdateEventSourceMapping(_ context.Context, in *lambda.UpdateEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.UUID) != "esm-ingest" {
		return nil, errors.New("ResourceNotFoundException")
	}
	f.enabled = aws.ToBool(in.Enabled)
	return &lambda.UpdateEventSourceMappingOutput{}, nil
}

func (f *fakeLambda) PutFunctionConcurrency(_ context.Context, in *lambda.PutFunctionConcurrencyInput, _ ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reserved = aws.ToInt32(in.ReservedConcurrentExecutions)
	return &lambda.PutFunctionConcurrencyOutput{ReservedConcurrentExecutions: in.ReservedConcurrentExecutions}, nil
}

func (f *fakeLambda) GetFunctionConcurrency(context.Context, *lambda.GetFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &lambda.GetFunctionConcurrencyOutput{ReservedConcurrentExecutions: aws.Int32(f.reserved)}, nil
}

func (f *fakeLambda) state() (enabled bool, reserved int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enabled, f.reserved
}

// memQueue is an SQS queue with a redrive policy: a received message is
// invisible for the visibility timeout, comes back unless deleted, and
// moves to the dead-letter queue on the receive after maxReceiveCount.
// (moto's SQS scans every message on each receive: with 10,000 waiting
// the burst would take most of an hour.)
type memQueue struct {
	mu         sync.Mutex
	msgs       []*queued
	dead       []*queued
	maxReceive int
	visibility time.Duration
}

type queued struct {
	id, body  string
	receives  int
	invisible time.Time
	deleted   bool
}

func (q *memQueue) send(id, body string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, &queued{id: id, body: body})
}

func (q *memQueue) receive(n int) []events.SQSMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	var out []events.SQSMessage
	kept := q.msgs[:0]
	for _, m := range q.msgs {
		switch {
		case m.deleted:
			continue
		case len(out) < n && !now.Before(m.invisible) && m.receives >= q.maxReceive:
			q.dead = append(q.dead, m)
			continue
		case len(out) < n && !now.Before(m.invisible):
			m.receives++
			m.invisible = now.Add(q.visibility)
			out = append(out, events.SQSMessage{MessageId: m.id, Body: m.body, ReceiptHandle: fmt.Sprint(m.id, "/", m.receives)})
		}
		kept = append(kept, m)
	}
	q.msgs = kept
	return out
}

func (q *memQueue) delete(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range q.msgs {
		if m.id == id {
			m.deleted = true
		}
	}
}

// depth is what ApproximateNumberOfMessages(NotVisible) and the
// dead-letter queue's count would say.
func (q *memQueue) depth() (visible, inFlight, dead int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	for _, m := range q.msgs {
		switch {
		case m.deleted:
		case now.Before(m.invisible):
			inFlight++
		default:
			visible++
		}
	}
	return visible, inFlight, len(q.dead)
}

// retrier is an ASL Retry rule.
type retrier struct {
	ErrorEquals     []string
	IntervalSeconds float64
	MaxAttempts     int
	BackoffRate     float64
	MaxDelaySeconds float64
	JitterStrategy  string
}

// loadBatchRetry reads the LoadBatch state's Retry rules from the ASL.
func loadBatchRetry(t *testing.T) []retrier {
	t.Helper()
	b, err := os.ReadFile(ingestASL)
	if err != nil {
		t.Fatal(err)
	}
	var asl struct {
		States map[string]struct{ Retry []retrier }
	}
	if err := json.Unmarshal(b, &asl); err != nil {
		t.Fatal(err)
	}
	r := asl.States["LoadBatch"].Retry
	if len(r) == 0 {
		t.Fatal("LoadBatch has no Retry")
	}
	return r
}

// bulkTracker is the cluster: it counts the bulk requests running at
// once and how often each document id was written.
type bulkTracker struct {
	mu             sync.Mutex
	inflight, peak int
	writes         map[string]int
	requests       int
}

func (b *bulkTracker) Index(_ context.Context, docs []bulk.Doc) (bulk.Result, error) {
	b.mu.Lock()
	b.inflight++
	b.peak = max(b.peak, b.inflight)
	b.requests++
	for _, d := range docs {
		b.writes[d.Index+"/"+d.ID]++
	}
	b.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // a bulk request takes time: let loads overlap
	b.mu.Lock()
	b.inflight--
	b.mu.Unlock()
	return bulk.Result{Indexed: len(docs), Requests: 1}, nil
}

// burst runs the ingest side of a deployment in-process: the ingest
// queue is in memory with SQS semantics (its dead-letter queue after 10 receives), the
// event source mapping is simulated (DispatchConcurrency pollers reading
// up to BatchMaxObjects messages while the mapping is enabled), the
// dispatcher is the real notify.Dispatcher, and each execution it starts
// runs the ingest machine's batch path: the LoadBatch task with the
// ASL's own Retry rules (time scaled), against a load function that, like
// Lambda with reserved concurrency, answers
// Lambda.TooManyRequestsException over its limit.
type burst struct {
	t     *testing.T
	queue *memQueue
	lam   *fakeLambda
	steps *pipeline.Steps
	retry []retrier
	scale float64 // real seconds per ASL second

	mu         sync.Mutex
	started    map[string]bool
	running    sync.WaitGroup
	outputs    []pipeline.BatchOutput
	failures   []string
	inflight   int32
	peak       int32
	throttled  atomic.Int64
	loads      atomic.Int64 // load invocations that ran
	objectsRun atomic.Int64
}

// Start is the dispatcher's Starter: a name started before is not
// started again (ExecutionAlreadyExists).
func (b *burst) Start(ctx context.Context, name, input string) error {
	b.mu.Lock()
	if b.started[name] {
		b.mu.Unlock()
		return nil
	}
	b.started[name] = true
	b.mu.Unlock()
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		b.execute(ctx, name, input)
	}()
	return nil
}

// invokeLoad is Lambda in front of the load function.
func (b *burst) invokeLoad(ctx context.Context, payload []byte) ([]byte, error) {
	_, reserved := b.lam.state()
	b.mu.Lock()
	if b.inflight >= reserved {
		b.mu.Unlock()
		b.throttled.Add(1)
		return nil, messages.InvokeResponse_Error{Type: "Lambda.TooManyRequestsException", Message: "Rate Exceeded."}
	}
	b.inflight++
	b.peak = max(b.peak, b.inflight)
	b.mu.Unlock()
	defer func() { b.mu.Lock(); b.inflight--; b.mu.Unlock() }()
	b.loads.Add(1)
	return b.steps.Invoke(ctx, "load", payload)
}

// execute is the batch path of ingest.asl.json: LoadBatch (Retry as in
// the ASL, Catch -> DeadLetterBatch), then AnyObjectFailed.
func (b *burst) execute(ctx context.Context, name, input string) {
	var in struct {
		Objects json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal([]byte(input), &in); err != nil || in.Objects == nil {
		b.fail(name, fmt.Sprintf("not a batch input: %v", err))
		return
	}
	payload, _ := json.Marshal(map[string]any{"action": pipeline.ActionLoadBatch, "objects": in.Objects})
	attempts := map[int]int{}
	for {
		out, err := b.invokeLoad(ctx, payload)
		if err == nil {
			var o pipeline.BatchOutput
			if err := json.Unmarshal(out, &o); err != nil {
				b.fail(name, err.Error())
				return
			}
			b.mu.Lock()
			b.outputs = append(b.outputs, o)
			b.mu.Unlock()
			b.objectsRun.Add(int64(len(o.Objects)))
			if o.FailedObjects > 0 {
				b.fail(name, "ObjectsDeadLettered")
			}
			return
		}
		typ := LambdaErrorResponse(err).Type
		ri := -1
		for i, r := range b.retry {
			for _, e := range r.ErrorEquals {
				if e == typ || e == "States.ALL" {
					ri = i
				}
			}
			if ri >= 0 {
				break
			}
		}
		if ri < 0 || attempts[ri] >= b.retry[ri].MaxAttempts {
			b.fail(name, "BatchDeadLettered after "+typ) // Catch -> DeadLetterBatch
			return
		}
		r := b.retry[ri]
		delay := r.IntervalSeconds * math.Pow(r.BackoffRate, float64(attempts[ri]))
		if r.MaxDelaySeconds > 0 {
			delay = min(delay, r.MaxDelaySeconds)
		}
		if r.JitterStrategy == "FULL" {
			delay *= rand.Float64()
		}
		attempts[ri]++
		time.Sleep(time.Duration(delay * b.scale * float64(time.Second)))
	}
}

func (b *burst) fail(name, why string) {
	b.mu.Lock()
	b.failures = append(b.failures, name+": "+why)
	b.mu.Unlock()
}

// poll is one of the event source mapping's pollers.
func (b *burst) poll(ctx context.Context, d notify.Dispatcher, batchSize int, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if on, _ := b.lam.state(); !on {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		msgs := b.queue.receive(batchSize)
		if len(msgs) == 0 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		resp := d.Handle(ctx, events.SQSEvent{Records: msgs})
		back := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			back[f.ItemIdentifier] = true
		}
		for _, m := range msgs {
			if !back[m.MessageId] { // the others come back after the visibility timeout
				b.queue.delete(m.MessageId)
			}
		}
	}
}

// A burst of 10,000 small objects (CloudTrail, VPC flow, ALB; every 500th
// VPC file has an unparsable line) against a global limit of 4
// concurrent loads. Half is announced at once; once a quarter of the
// objects are loaded the real pause switch pauses (load concurrency 0,
// queue mapping off) and the other half arrives while paused; then it
// resumes.
//
// What runs for real: the dispatcher's batching and naming, the pause
// switch (throttle.Handle), the load function's code over every object,
// and LoadBatch's Retry rules as ingest.asl.json has them. What is
// simulated in-process (moto runs one execution per reset and its SQS
// takes seconds per receive with thousands of messages waiting): the
// ingest queue and its dead-letter queue (visibility timeout,
// maxReceiveCount 10), the event source mapping's pollers, Lambda's
// control plane and reserved concurrency, and Step Functions running the
// batch path. ASL waits run 100x faster. TestPauseSwitchOnMoto runs the
// switch against moto's Lambda and SQS APIs, TestLoadConcurrencyLimitOnMoto
// the Retry on moto's interpreter.
//
// Asserted: never more concurrent load invocations, nor bulk requests,
// than the limit (and the limit was contended for); while paused no load
// runs, the messages wait in the queue, none is dead-lettered; after
// resuming, every record is indexed exactly once or dead-lettered with
// its reason, and the queue and its dead-letter queue are empty.
func TestBurstGlobalLimitPauseResume(t *testing.T) {
	const (
		objects     = 10000
		limit       = 4
		pollers     = 2   // DispatchConcurrency
		batchSize   = 100 // BatchMaxObjects
		pauseAfter  = objects / 4
		badEvery    = 500
		recordsEach = 4
	)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	queue := &memQueue{maxReceive: 10, visibility: 60 * time.Second}

	// The objects, in memory (the load function's code reads them through
	// blob.Store; moto's S3 would take minutes for 10,000 puts).
	store := blobtest.NewMemory()
	r := rand.New(rand.NewPCG(10000, 14))
	gens := []func(*rand.Rand) string{cloudTrailRecord, vpcFlowRecord, albRecord}
	wantRecords, wantBad := 0, 0
	var later [][2]string
	for i := range objects {
		var body string
		var key string
		lines := make([]string, recordsEach)
		for j := range lines {
			lines[j] = gens[i%3](r)
		}
		switch i % 3 {
		case 0:
			key = fmt.Sprintf("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/123456789012_CloudTrail_us-east-1_20240115T00%02dZ_b%05d.json.gz", i%60, i)
			body = `{"Records":[` + strings.Join(lines, ",") + "]}\n"
		case 1:
			key = fmt.Sprintf("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T00%02dZ_b%05d.log.gz", i%60, i)
			if i%badEvery == 1 {
				lines = append(lines, "2 123456789012 eni-0 not-an-address")
				wantBad++
			}
			body = vpcHeader + "\n" + strings.Join(lines, "\n") + "\n"
		case 2:
			key = fmt.Sprintf("AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/15/123456789012_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20240115T00%02dZ_192.0.2.1_b%05d.log.gz", i%60, i)
			body = strings.Join(lines, "\n") + "\n"
		}
		wantRecords += recordsEach
		gz := gzipped(body)
		store.Put(ctx, logBucket, key, gz)
		later = append(later, [2]string{fmt.Sprint("m", i), objectCreated(logBucket, key, len(gz))})
	}
	// Half the burst is announced at once; the other half arrives while
	// the loader is paused.
	for _, m := range later[:objects/2] {
		queue.send(m[0], m[1])
	}
	later = later[objects/2:]

	tracker := &bulkTracker{writes: map[string]int{}}
	steps, err := pipeline.NewSteps(pipeline.StepsConfig{Store: store, StagingBucket: stagingBucket, Indexer: tracker,
		Now: func() time.Time { return time.Date(2024, 1, 15, 1, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	lam := &fakeLambda{queueARN: "arn:aws:sqs:us-east-1:123456789012:siem-ingest", enabled: true, reserved: limit}
	sw := throttle.Switch{Lambda: lam, Dispatcher: "siem-dispatch", Loader: "siem-load", Concurrency: limit}
	b := &burst{t: t, queue: queue, lam: lam, steps: steps, retry: loadBatchRetry(t), scale: 0.01, started: map[string]bool{}}
	d := notify.Dispatcher{Starter: b, Batching: notify.Batching{MaxObjects: batchSize}}
	stop := make(chan struct{})
	var pollersDone sync.WaitGroup
	for range pollers {
		pollersDone.Add(1)
		go func() { defer pollersDone.Done(); b.poll(ctx, d, batchSize, stop) }()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// Pause a quarter of the way through.
	waitFor("a quarter of the objects", func() bool { return b.objectsRun.Load() >= pauseAfter })
	res, err := throttle.Handle(ctx, sw, nil, []byte(`{"action":"pause","reason":"burst test"}`))
	if err != nil || !res.State.Paused {
		t.Fatalf("pause: %+v %v", res, err)
	}
	// Loads running when the switch flipped finish; then none runs.
	waitFor("running loads to finish", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.inflight == 0 })
	time.Sleep(50 * time.Millisecond) // a poller's batch in hand is dispatched (as an ESM's would be)
	loadsAtPause, throttledAtPause := b.loads.Load(), b.throttled.Load()
	b.mu.Lock()
	startedAtPause := len(b.started)
	b.mu.Unlock()
	for _, m := range later {
		queue.send(m[0], m[1])
	}
	time.Sleep(1500 * time.Millisecond) // 150 s of ASL time
	waiting, inFlight, dead := queue.depth()
	b.mu.Lock()
	runningAtPause := len(b.started) - len(b.outputs) - len(b.failures)
	b.mu.Unlock()
	t.Logf("paused after %d objects: %d messages waiting, %d in flight, %d executions waiting in Retry, %d throttled invocations while paused",
		b.objectsRun.Load(), waiting, inFlight, runningAtPause, b.throttled.Load()-throttledAtPause)
	if b.loads.Load() != loadsAtPause {
		t.Errorf("%d loads ran while paused", b.loads.Load()-loadsAtPause)
	}
	if waiting != len(later) || inFlight != 0 || dead != 0 || len(b.started) != startedAtPause {
		t.Errorf("while paused: %d messages waiting in the queue (want the %d that arrived), %d in flight, %d dead-lettered (want none), %d executions started",
			waiting, len(later), inFlight, dead, len(b.started)-startedAtPause)
	}
	if runningAtPause > 0 && b.throttled.Load() == throttledAtPause {
		t.Errorf("%d executions running while paused but none was throttled", runningAtPause)
	}
	if res, err = throttle.Handle(ctx, sw, nil, []byte(`{"action":"resume"}`)); err != nil || res.State.Paused {
		t.Fatalf("resume: %+v %v", res, err)
	}

	waitFor("every object", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return int(b.objectsRun.Load()) >= objects || len(b.failures) > 0
	})
	close(stop)
	pollersDone.Wait()
	b.running.Wait()

	if len(b.failures) > 0 {
		t.Fatalf("failed executions: %v", b.failures)
	}
	var total pipeline.Counts
	nObjects := 0
	for _, o := range b.outputs {
		total.Add(o.Counts)
		nObjects += len(o.Objects)
	}
	if nObjects != objects || len(b.started) < objects/batchSize {
		t.Errorf("%d objects loaded in %d executions, want %d in at least %d", nObjects, len(b.started), objects, objects/batchSize)
	}
	if total.RecordsIn != total.Indexed+total.DeadLettered+total.Skipped {
		t.Errorf("accounting identity broken: %+v", total)
	}
	if total.Indexed != wantRecords || total.DeadLettered != wantBad || total.RecordsIn != wantRecords+wantBad {
		t.Errorf("counts %+v, want %d indexed and %d dead-lettered", total, wantRecords, wantBad)
	}
	dupes := 0
	for _, n := range tracker.writes {
		if n != 1 {
			dupes++
		}
	}
	if len(tracker.writes) != wantRecords || dupes != 0 {
		t.Errorf("%d distinct documents (want %d), %d written more than once", len(tracker.writes), wantRecords, dupes)
	}
	var reasons []string
	for reason, n := range total.Reasons {
		reasons = append(reasons, fmt.Sprintf("%s: %d", reason, n))
	}
	dl, _ := store.List(ctx, stagingBucket, "dead-letter/")
	if len(total.Reasons) == 0 || len(dl) == 0 {
		t.Errorf("dead letters without reasons or objects: reasons %v, objects %v", reasons, dl)
	}
	if b.peak > limit || tracker.peak > limit {
		t.Errorf("peak %d concurrent loads and %d concurrent bulk requests, limit %d", b.peak, tracker.peak, limit)
	}
	if b.throttled.Load() == 0 || b.peak != limit {
		t.Errorf("peak %d of %d, %d throttled: the burst did not contend for the limit, the test proves nothing", b.peak, limit, b.throttled.Load())
	}
	waiting, inFlight, dead = queue.depth()
	if waiting+inFlight+dead != 0 {
		t.Errorf("after the burst: %d waiting, %d in flight, %d dead-lettered messages", waiting, inFlight, dead)
	}
	t.Logf("%d objects, %d executions, %d load invocations (%d throttled), peak %d concurrent loads and %d bulk requests (limit %d); %d records indexed once each, %d dead-lettered (%s) in %d dead-letter objects",
		objects, len(b.started), b.loads.Load(), b.throttled.Load(), b.peak, tracker.peak, limit, len(tracker.writes), total.DeadLettered, strings.Join(reasons, ", "), len(dl))
}
