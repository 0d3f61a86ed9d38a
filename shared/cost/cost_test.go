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
