// Package cost estimates what loading log objects costs in AWS charges:
// Step Functions state transitions, Lambda requests and duration, SQS
// requests and S3 requests, per million objects, for this design (small
// objects batched) and for one execution per object. The transition
// counts are the states an execution enters (test/moto measures them on
// the real state machine); prices are us-east-1 list prices, parameters so
// a user can put in their region's.
package cost

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// Prices in USD.
type Prices struct {
	StateTransition float64 // Standard workflow, per transition
	LambdaRequest   float64 // per invocation
	LambdaGBSecond  float64 // arm64, per GB-second
	SQSRequest      float64 // per request (64 KiB)
	S3Get, S3Put    float64 // per request
}

// ListPrices are us-east-1 list prices (December 2026).
var ListPrices = Prices{
	StateTransition: 0.025 / 1000,
	LambdaRequest:   0.20 / 1e6,
	LambdaGBSecond:  0.0000133334,
	SQSRequest:      0.40 / 1e6,
	S3Get:           0.0004 / 1000,
	S3Put:           0.005 / 1000,
}

// State transitions each path enters (counted in execution histories on
// moto by TestCostTransitionsMeasured; keep in step with ingest.asl.json).
const (
	// Input -> LoadBatch -> AnyObjectFailed -> Done, per batch.
	BatchTransitions = 4
	// Input -> Split -> Route -> Load -> Done, per object on its own.
	InlineTransitions = 5
	// One execution per object with separate steps (this project before
	// batching): Split -> Route -> Parse -> Enrich -> Index -> Done.
	PerObjectTransitions = 6
)

// Workload describes the objects.
type Workload struct {
	Objects          float64 // objects in the period (e.g. a month)
	RecordsPerObject float64
	// RecordsPerSecond is what one load invocation does (a core at 1769
	// MB; `make bench` and bench/e2e measure it per log type).
	RecordsPerSecond float64
	MemoryMB         float64
	// BatchObjects is the dispatcher's batch size (BatchMaxObjects) and
	// SQSBatch the messages per dispatcher invocation.
	BatchObjects float64
	// InvocationOverhead is the fixed time per invocation (cold starts
	// averaged in, S3 round trips), seconds.
	InvocationOverhead float64
}

// DefaultWorkload is an organization's CloudTrail: 50 accounts x 17
// regions, a file every 5 minutes each (~7.3 million objects a month) of
// ~100 records; 17,500 records/s is bench/e2e's CloudTrail figure on one
// core.
var DefaultWorkload = Workload{
	Objects:            50 * 17 * 12 * 24 * 30,
	RecordsPerObject:   100,
	RecordsPerSecond:   17500,
	MemoryMB:           1024,
	BatchObjects:       100,
	InvocationOverhead: 0.05,
}

// Line is one cost item.
type Line struct {
	Item     string
	Quantity float64
	USD      float64
}

// Estimate is a design's cost for a workload.
type Estimate struct {
	Design string
	Lines  []Line
}

// Total in USD.
func (e Estimate) Total() float64 {
	var t float64
	for _, l := range e.Lines {
		t += l.USD
	}
	return t
}

// PerMillion is the total per million objects.
func (e Estimate) PerMillion(objects float64) float64 {
	if objects == 0 {
		return 0
	}
	return e.Total() / objects * 1e6
}

func (w Workload) loadSeconds() float64 {
	if w.RecordsPerSecond <= 0 {
		return 0
	}
	return w.Objects * w.RecordsPerObject / w.RecordsPerSecond
}

// Batched is this design: EventBridge -> SQS -> dispatcher -> one
// execution per batch of small objects, one Load invocation per batch.
func Batched(w Workload, p Prices) Estimate {
	batch := math.Max(1, w.BatchObjects)
	batches := math.Ceil(w.Objects / batch)
	gb := w.MemoryMB / 1024
	dispatches := batches // one SQS batch of BatchObjects messages per dispatcher call
	return Estimate{Design: fmt.Sprintf("batched (%g objects per execution)", batch), Lines: []Line{
		{"Step Functions transitions", batches * BatchTransitions, batches * BatchTransitions * p.StateTransition},
		{"Lambda requests (load + dispatcher)", batches + dispatches, (batches + dispatches) * p.LambdaRequest},
		{"Lambda GB-seconds (load)", (w.loadSeconds() + batches*w.InvocationOverhead) * gb, (w.loadSeconds() + batches*w.InvocationOverhead) * gb * p.LambdaGBSecond},
		// The dispatcher: 256 MB, ~0.2 s per SQS batch.
		{"Lambda GB-seconds (dispatcher)", dispatches * 0.2 * 0.25, dispatches * 0.2 * 0.25 * p.LambdaGBSecond},
		// EventBridge's SendMessage per object; the event source's
		// receives and deletes of up to 10 messages each.
		{"SQS requests", w.Objects + 2*math.Ceil(w.Objects/10), (w.Objects + 2*math.Ceil(w.Objects/10)) * p.SQSRequest},
		{"S3 GET (source objects)", w.Objects, w.Objects * p.S3Get},
	}}
}

// PerObject is one Standard execution per object with separate parse,
// enrich and index steps and two staged writes (and reads) per object.
func PerObject(w Workload, p Prices) Estimate {
	gb := w.MemoryMB / 1024
	// Re-reading staged documents made each record cost ~2x its parse time.
	secs := 2*w.loadSeconds() + 4*w.Objects*w.InvocationOverhead
	return Estimate{Design: "one execution per object (split, parse, enrich, index)", Lines: []Line{
		{"Step Functions transitions", w.Objects * PerObjectTransitions, w.Objects * PerObjectTransitions * p.StateTransition},
		{"Lambda requests", 4 * w.Objects, 4 * w.Objects * p.LambdaRequest},
		{"Lambda GB-seconds", secs * gb, secs * gb * p.LambdaGBSecond},
		{"S3 PUT (staged documents)", 2 * w.Objects, 2 * w.Objects * p.S3Put},
		{"S3 GET (source and staged)", 3 * w.Objects, 3 * w.Objects * p.S3Get},
	}}
}

// ReferenceRecordsPerSecond is the Python es-loader's measured CloudTrail
// rate on one core (handbook anchors).
const ReferenceRecordsPerSecond = 4491

// Reference is the reference's model: S3 -> SQS -> one es-loader
// invocation per object at 2048 MB, at its measured rate; no Step
// Functions.
func Reference(w Workload, p Prices) Estimate {
	secs := w.Objects*w.RecordsPerObject/ReferenceRecordsPerSecond + w.Objects*w.InvocationOverhead
	gbs := secs * 2
	return Estimate{Design: "reference (one es-loader invocation per object, 2048 MB)", Lines: []Line{
		{"Lambda requests", w.Objects, w.Objects * p.LambdaRequest},
		{"Lambda GB-seconds", gbs, gbs * p.LambdaGBSecond},
		{"SQS requests", w.Objects + 2*math.Ceil(w.Objects/10), (w.Objects + 2*math.Ceil(w.Objects/10)) * p.SQSRequest},
		{"S3 GET (source objects)", w.Objects, w.Objects * p.S3Get},
	}}
}

// Print writes the estimates as a table, with totals per period and per
// million objects.
func Print(out io.Writer, w Workload, ests ...Estimate) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(out, "%.0f objects, %.0f records each, %.0f records/s per load invocation, %.0f MB\n\n", w.Objects, w.RecordsPerObject, w.RecordsPerSecond, w.MemoryMB)
	for _, e := range ests {
		fmt.Fprintf(tw, "%s\t\t\n", e.Design)
		for _, l := range e.Lines {
			fmt.Fprintf(tw, "  %s\t%12.0f\t%10s\n", l.Item, l.Quantity, fmt.Sprintf("$%.2f", l.USD))
		}
		fmt.Fprintf(tw, "  total\t\t%10s\n", fmt.Sprintf("$%.2f", e.Total()))
		fmt.Fprintf(tw, "  per million objects\t\t%10s\n\t\t\n", fmt.Sprintf("$%.2f", e.PerMillion(w.Objects)))
	}
	tw.Flush()
}
