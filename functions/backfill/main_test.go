package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/backfill"
	"github.com/siemloader/siem/shared/blob"
)

type bucket struct {
	objs []blob.ListedObject
	puts map[string][]byte
}

func (b *bucket) ListPage(_ context.Context, _, _, _ string, _ int32) ([]blob.ListedObject, string, error) {
	return b.objs, "", nil
}

func (b *bucket) Put(_ context.Context, bkt, key string, body []byte) error {
	b.puts[bkt+"/"+key] = body
	return nil
}

// The sam local invoke events through the handler: the first page of a
// window, then the turn that adds the results up and finishes.
func TestHandlerEvents(t *testing.T) {
	in := func(name string) backfill.State {
		b, err := os.ReadFile("../../events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var st backfill.State
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	b := &bucket{puts: map[string][]byte{}, objs: []blob.ListedObject{
		{Key: "AWSLogs/123456789012/CloudTrail/us-east-1/2023/07/10/a.json.gz", Size: 1000, LastModified: time.Date(2023, 7, 10, 12, 0, 0, 0, time.UTC)},
		{Key: "AWSLogs/123456789012/CloudTrail/us-east-1/2023/06/10/old.json.gz", Size: 1000, LastModified: time.Date(2023, 6, 10, 12, 0, 0, 0, time.UTC)},
	}}
	h := handler(backfill.Step{Lister: b, Store: b, StagingBucket: "siem-staging-123456789012"})
	out, err := h(context.Background(), in("backfill-first-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Items != 1 || !out.ListedAll || out.Totals.OutOfWindow != 1 || len(b.puts) != 1 {
		t.Errorf("first page: %+v, %d manifests", out, len(b.puts))
	}
	out, err = h(context.Background(), in("backfill-results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Finished || out.Totals.Loaded != 3 || out.Totals.SkippedObjects != 1 || out.Totals.Counts.Indexed != 12 {
		t.Errorf("results: %+v", out)
	}
}
