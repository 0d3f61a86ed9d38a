package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/siemloader/siem/shared/emf"
)

// Batching bounds the executions that load many small objects at once.
// Most AWS log objects are small (a CloudTrail or VPC flow file every five
// minutes per account and region): one Standard execution per object
// costs ~7 state transitions, so the dispatcher groups them.
type Batching struct {
	// MaxObjects is the most objects one execution loads (0: 100).
	MaxObjects int
	// MaxBytes bounds the sum of the objects' sizes (0: 64 MiB).
	MaxBytes int64
	// ObjectMaxBytes: an object above this size, or of unknown size, gets
	// its own execution (split, then inline or a Distributed Map of
	// chunks). 0: 1 MiB, the split step's inline limit.
	ObjectMaxBytes int64
}

// WithDefaults fills the bounds left at zero (the backfill batches with
// the same rules).
func (b Batching) WithDefaults() Batching {
	if b.MaxObjects <= 0 {
		b.MaxObjects = 100
	}
	if b.MaxBytes <= 0 {
		b.MaxBytes = 64 << 20
	}
	if b.ObjectMaxBytes <= 0 {
		b.ObjectMaxBytes = 1 << 20
	}
	return b
}

// batchSizeLimit keeps an execution's input far below Step Functions'
// 256 KiB: object keys are at most 1 KiB each, usually ~150 bytes.
const batchSizeLimit = 200 << 10

// InputBytes is what one object adds to a batch's execution input: its
// bucket and key, and room for the JSON around them (size, log type).
func InputBytes(bucket, key string) int { return len(bucket) + len(key) + 64 }

// Full reports whether a batch holding objects objects, bytes bytes and
// input bytes of execution input must be sent before an object of size
// bytes and objInput input bytes joins it. An empty batch is never full.
func (b Batching) Full(objects int, bytes int64, input int, size int64, objInput int) bool {
	return objects > 0 && (objects >= b.MaxObjects || bytes+size > b.MaxBytes || input+objInput > batchSizeLimit)
}

// Dispatcher starts ingest executions for the objects an SQS batch
// announces: small objects grouped into batch executions, big ones one
// execution each.
type Dispatcher struct {
	Starter  Starter
	Batching Batching
	// Metrics receives one EMF line per invocation (nil: none).
	Metrics *emf.Writer
	// Now is the clock for the queue lag (nil: time.Now).
	Now func() time.Time
}

// pending is an object and the messages that announced it.
type pending struct {
	obj      Object
	messages []string
}

// batchObject is one element of a batch execution's input: the split
// step's flat {bucket, key, size} form, key decoded.
type batchObject struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Size   *int64 `json:"size,omitempty"`
}

// Plan is what the dispatcher will start for an SQS batch: each execution
// with its name, input and the messages it carries.
type Plan struct {
	Executions []PlannedExecution
	// Failed are messages that announce nothing this package knows; they
	// go back to the queue and, past maxReceiveCount, to its dead-letter
	// queue.
	Failed map[string]error
	// Messages is the number of messages read, Objects the distinct
	// objects they announced.
	Messages, Objects int
}

// PlannedExecution is one execution of the ingest state machine.
type PlannedExecution struct {
	Name     string
	Input    string
	Objects  int
	Bytes    int64
	Messages []string
}

// Plan groups the announced objects. The same write announced twice (at
// least once delivery) is loaded once; a batch's name is a hash of its
// objects, so a redelivered SQS batch starts no second execution, and
// since document ids are deterministic a batch regrouped differently on
// redelivery overwrites documents rather than duplicating them.
func (d Dispatcher) Plan(ev events.SQSEvent) Plan {
	b := d.Batching.WithDefaults()
	p := Plan{Failed: map[string]error{}, Messages: len(ev.Records)}
	seen := map[string]*pending{}
	var order []*pending
	for _, msg := range ev.Records {
		objs, err := Parse(msg.Body)
		if err != nil {
			p.Failed[msg.MessageId] = err
			continue
		}
		for _, o := range objs {
			id := o.Bucket + "\x00" + o.Key + "\x00" + o.Version
			if q := seen[id]; q != nil {
				q.messages = append(q.messages, msg.MessageId)
				continue
			}
			q := &pending{obj: o, messages: []string{msg.MessageId}}
			seen[id] = q
			order = append(order, q)
		}
	}
	p.Objects = len(order)

	var batch []*pending
	var batchBytes int64
	var inputBytes int
	flush := func() {
		if len(batch) == 0 {
			return
		}
		p.Executions = append(p.Executions, batchExecution(batch, batchBytes))
		batch, batchBytes, inputBytes = nil, 0, 0
	}
	for _, q := range order {
		o := q.obj
		if o.Size == nil || *o.Size > b.ObjectMaxBytes {
			p.Executions = append(p.Executions, PlannedExecution{Name: ExecutionName(o), Input: Input(o), Objects: 1,
				Bytes: sizeOf(o), Messages: q.messages})
			continue
		}
		n := InputBytes(o.Bucket, o.Key)
		if b.Full(len(batch), batchBytes, inputBytes, *o.Size, n) {
			flush()
		}
		batch = append(batch, q)
		batchBytes += *o.Size
		inputBytes += n
	}
	flush()
	return p
}

func sizeOf(o Object) int64 {
	if o.Size == nil {
		return -1
	}
	return *o.Size
}

func batchExecution(batch []*pending, bytes int64) PlannedExecution {
	in := struct {
		Objects []batchObject `json:"objects"`
	}{}
	ids := make([]string, 0, len(batch))
	msgs := map[string]bool{}
	e := PlannedExecution{Objects: len(batch), Bytes: bytes}
	for _, q := range batch {
		o := q.obj
		key, err := url.QueryUnescape(o.Key)
		if err != nil {
			key = o.Key // split reports it: the object is named as announced
		}
		in.Objects = append(in.Objects, batchObject{Bucket: o.Bucket, Key: key, Size: o.Size})
		ids = append(ids, o.Bucket+"\x00"+o.Key+"\x00"+o.Version)
		for _, m := range q.messages {
			if !msgs[m] {
				msgs[m] = true
				e.Messages = append(e.Messages, m)
			}
		}
	}
	sort.Strings(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\x01")))
	e.Name = fmt.Sprintf("batch-%d-%s", len(batch), hex.EncodeToString(sum[:20]))
	b, _ := json.Marshal(in)
	e.Input = string(b)
	return e
}

// Handle starts the planned executions and reports the messages that must
// come back: unreadable ones, and every message of an execution that could
// not be started (throttled, say). A message is deleted only when all the
// executions it feeds have started.
func (d Dispatcher) Handle(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	p := d.Plan(ev)
	failed := map[string]bool{}
	for id, err := range p.Failed {
		failed[id] = true
		slog.ErrorContext(ctx, "notification not understood", "message_id", id, "error", err.Error())
	}
	started, objects := 0, 0
	for _, e := range p.Executions {
		if err := d.Starter.Start(ctx, e.Name, e.Input); err != nil {
			slog.ErrorContext(ctx, "execution not started", "execution", e.Name, "objects", e.Objects, "error", err.Error())
			for _, m := range e.Messages {
				failed[m] = true
			}
			continue
		}
		started++
		objects += e.Objects
	}
	var resp events.SQSEventResponse
	for _, msg := range ev.Records { // in arrival order
		if failed[msg.MessageId] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			delete(failed, msg.MessageId)
		}
	}
	slog.InfoContext(ctx, "dispatched", "messages", p.Messages, "objects", p.Objects, "executions", len(p.Executions),
		"started", started, "objects_started", objects, "messages_returned", len(resp.BatchItemFailures))
	if d.Metrics != nil {
		ms := []emf.Metric{
			{Name: "Messages", Value: float64(p.Messages), Unit: emf.Count},
			{Name: "ObjectsAnnounced", Value: float64(p.Objects), Unit: emf.Count},
			{Name: "ExecutionsStarted", Value: float64(started), Unit: emf.Count},
			{Name: "ExecutionStartFailures", Value: float64(len(p.Executions) - started), Unit: emf.Count},
			{Name: "UnreadableMessages", Value: float64(len(p.Failed)), Unit: emf.Count},
		}
		if lag, ok := d.queueLag(ev); ok {
			ms = append(ms, emf.Metric{Name: "QueueLagSeconds", Value: lag, Unit: emf.Seconds})
		}
		if err := d.Metrics.Write(emf.Line{Dimensions: map[string]string{"Function": "dispatch"}, Metrics: ms}); err != nil {
			slog.WarnContext(ctx, "metrics not written", "error", err.Error())
		}
	}
	return resp
}

// queueLag is how long the oldest message of the batch waited in its
// queue (SentTimestamp): the ingest delay before loading starts.
func (d Dispatcher) queueLag(ev events.SQSEvent) (float64, bool) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	var oldest int64
	for _, m := range ev.Records {
		if ms, err := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64); err == nil && (oldest == 0 || ms < oldest) {
			oldest = ms
		}
	}
	if oldest == 0 {
		return 0, false
	}
	return max(0, now().Sub(time.UnixMilli(oldest)).Seconds()), true
}
