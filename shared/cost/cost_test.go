package cost

import (
	"bytes"
	"strings"
	"testing"
)

// Batching is what makes an organization's small objects cheap: per
// million objects the batched design must cost a small fraction of one
// execution per object, and Step Functions must no longer dominate.
func TestBatchedCostsLessPerMillion(t *testing.T) {
	w := DefaultWorkload
	b, o := Batched(w, ListPrices), PerObject(w, ListPrices)
	bm, om := b.PerMillion(w.Objects), o.PerMillion(w.Objects)
	t.Logf("per million objects: batched $%.2f, per object $%.2f", bm, om)
	// One execution per object pays 6 transitions: $150 per million in
	// transitions alone.
	if got := o.Lines[0].USD / w.Objects * 1e6; got < 149.99 || got > 150.01 {
		t.Errorf("per-object transitions $%.2f per million, want $150", got)
	}
	if bm*10 > om {
		t.Errorf("batched $%.2f per million is not a tenth of per object $%.2f", bm, om)
	}
	// The reference's one invocation per object costs roughly $10-30 per
	// million objects (issue 14).
	ref := Reference(w, ListPrices).PerMillion(w.Objects)
	t.Logf("reference model $%.2f per million", ref)
	if bm > 5 || bm >= ref {
		t.Errorf("batched $%.2f per million objects, want at most $5 and below the reference's $%.2f", bm, ref)
	}
	// Batches of one are the per-object case without staging: dearer than
	// batches of 100.
	w1 := w
	w1.BatchObjects = 1
	if Batched(w1, ListPrices).Total() <= b.Total() {
		t.Error("a batch of one object must cost more than batches of 100")
	}
	var out bytes.Buffer
	Print(&out, w, b, o)
	if !strings.Contains(out.String(), "per million objects") || !strings.Contains(out.String(), "Step Functions transitions") {
		t.Errorf("table:\n%s", out.String())
	}
}

// Measured counts scale with the number of objects and are priced line
// by line; the comparison table groups them by service.
func TestMeasuredScaled(t *testing.T) {
	m := Measured{Objects: 200, Records: 20000, SourceBytes: 200 << 10, Executions: 2, Transitions: 8,
		Invocations: map[string]int{"load": 2, "dispatch": 2}, GBSeconds: map[string]float64{"load": 2, "dispatch": 0.1},
		S3Get: 200, SQSRequests: 240}
	var sum Measured
	sum.Add(m)
	sum.Add(m)
	if sum.Objects != 400 || sum.Invocations["load"] != 4 || sum.TotalGBSeconds() != 4.2 {
		t.Fatalf("sum %+v", sum)
	}
	e := sum.Scaled("measured", 1e6, ListPrices)
	// 1e6 objects = 2,500 x the run: 40,000 transitions, 20,000
	// invocations, 10,500 GB-s, 1.2 M SQS requests, 1 M GETs.
	want := 40000*ListPrices.StateTransition + 20000*ListPrices.LambdaRequest + 10500*ListPrices.LambdaGBSecond +
		1.2e6*ListPrices.SQSRequest + 1e6*ListPrices.S3Get
	if got := e.Total(); got < want-1e-6 || got > want+1e-6 {
		t.Errorf("total $%.4f, want $%.4f", got, want)
	}
	if w := sum.Workload(1e6); w.RecordsPerObject != 100 || w.RecordsPerSecond != 10000 {
		t.Errorf("workload %+v: want 100 records per object at 40,000 records / 4 load seconds", w)
	}
	var out bytes.Buffer
	PrintComparison(&out, Comparison{Objects: 1e6, Estimates: []Estimate{e}})
	if !strings.Contains(out.String(), "| measured | $1.00 | $0.14 | $0.48 | $0.40 | **$2.02** | $2.02 |") {
		t.Errorf("table:\n%s", out.String())
	}
	PrintMeasured(&out, "small", sum)
	if !strings.Contains(out.String(), "state transitions") {
		t.Errorf("counts:\n%s", out.String())
	}
}
