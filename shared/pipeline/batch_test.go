package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/pipeline"
)

// poisonOn refuses for good every batch holding a document of one object.
type poisonOn struct {
	bulk.Indexer
	key string
}

func (p *poisonOn) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	for _, d := range docs {
		if strings.Contains(string(d.Source), p.key) {
			return bulk.Result{}, errors.New("index_closed_exception")
		}
	}
	return p.Indexer.Index(ctx, docs)
}

func batchKey(n string) string { return strings.Replace(vpcKey, "_h.log.gz", "_"+n+".log.gz", 1) }

func TestLoadBatch(t *testing.T) {
	sink := bulktest.NewMemorySink()
	f := newFixture(t, pipeline.StepsConfig{Indexer: &poisonOn{Indexer: sink, key: "_poison.log.gz"}})
	ctx := context.Background()
	for name, body := range map[string]string{"a": vpcLines(5), "b": vpcLines(3, 2), "poison": vpcLines(4)} {
		f.store.Put(ctx, logBucket, batchKey(name), gz(body))
	}
	in := pipeline.BatchInput{Objects: []pipeline.SplitInput{
		{Bucket: logBucket, Key: batchKey("a")},
		{Bucket: logBucket, Key: batchKey("b")},
		{Bucket: logBucket, Key: "notes/readme.txt"},
		{Bucket: logBucket, Key: batchKey("poison")},
		{Bucket: logBucket, Key: batchKey("deleted")},
	}}
	payload, _ := json.Marshal(map[string]any{"action": pipeline.ActionLoadBatch, "objects": in.Objects})
	raw, err := f.steps.Invoke(ctx, pipeline.FunctionLoad, payload)
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.BatchOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	identity(t, out.Counts)
	if out.Loaded != 2 || out.SkippedObjects != 1 || out.FailedObjects != 2 || len(out.Objects) != 5 {
		t.Fatalf("loaded %d skipped %d failed %d of %d: %s", out.Loaded, out.SkippedObjects, out.FailedObjects, len(out.Objects), raw)
	}
	c := out.Counts
	// a: 5 indexed; b: 2 indexed, 1 dead letter; poison: 4 dead-lettered whole.
	if c.RecordsIn != 12 || c.Indexed != 7 || c.DeadLettered != 5 || len(sink.Docs()) != 7 {
		t.Errorf("counts %+v, %d docs", c, len(sink.Docs()))
	}
	if o := out.Objects[2]; o.SkipReason != pipeline.SkipUnknownType {
		t.Errorf("skip %+v", o)
	}
	if o := out.Objects[3]; !o.Failed || o.Counts.DeadLettered != 4 || !strings.Contains(o.Error, "index_closed_exception") {
		t.Errorf("poison %+v", o)
	}
	if o := out.Objects[4]; !o.Failed || o.Counts.RecordsIn != 0 {
		t.Errorf("deleted object %+v", o)
	}
	keys, _ := f.store.List(ctx, staging, "dead-letter/chunk/")
	if len(keys) != 1 {
		t.Errorf("chunk dead letters %v", keys)
	}

	// Throttling fails the whole call (the state machine retries it), and
	// the retry overwrites: no duplicate documents.
	fl := &failing{throttled: true}
	g := newFixture(t, pipeline.StepsConfig{Indexer: fl})
	g.store.Put(ctx, logBucket, batchKey("a"), gz(vpcLines(5)))
	one := pipeline.BatchInput{Objects: in.Objects[:1]}
	if _, err := g.steps.LoadBatch(ctx, one); err == nil {
		t.Fatal("a throttled batch succeeded")
	} else if _, ok := pipeline.LambdaError(err).(*bulk.RetryableError); !ok {
		t.Fatalf("throttled batch: %T %v, want *bulk.RetryableError", err, err)
	}
	fl.throttled = false
	if res, err := g.steps.LoadBatch(ctx, one); err != nil || res.Counts.Indexed != 5 {
		t.Fatalf("retry: %+v %v", res, err)
	}
}

// A load payload without action is a bare chunk (sam local invoke).
func TestLoadBareChunk(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{})
	ctx := context.Background()
	f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(4)))
	c := pipeline.Chunk{Source: pipeline.ObjectRef{Bucket: logBucket, Key: vpcKey}, LogType: "vpcflowlogs", Data: pipeline.ObjectRef{Bucket: logBucket, Key: vpcKey}}
	payload, _ := json.Marshal(c)
	raw, err := f.steps.Invoke(ctx, "load", payload)
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	json.Unmarshal(raw, &out)
	identity(t, out.Counts)
	if out.Counts.Indexed != 4 || len(f.sink.Docs()) != 4 {
		t.Errorf("%s", raw)
	}
}

func TestFailBatchDeadLettersEveryObject(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{})
	ctx := context.Background()
	f.store.Put(ctx, logBucket, batchKey("a"), gz(vpcLines(5)))
	f.store.Put(ctx, logBucket, batchKey("b"), gz(vpcLines(2)))
	payload := `{"action": "fail_batch", "objects": [{"bucket": "` + logBucket + `", "key": "` + batchKey("a") + `"}, {"bucket": "` + logBucket + `", "key": "` + batchKey("b") + `"}, {"bucket": "` + logBucket + `", "key": "x/"}],
		"error": {"Error": "States.Timeout", "Cause": "the batch timed out"}}`
	raw, err := f.steps.Invoke(ctx, "split", []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.BatchOutput
	json.Unmarshal(raw, &out)
	identity(t, out.Counts)
	if out.FailedObjects != 2 || out.SkippedObjects != 1 || out.Counts.DeadLettered != 7 {
		t.Errorf("%s", raw)
	}
	keys, _ := f.store.List(ctx, staging, "dead-letter/chunk/")
	if len(keys) != 2 {
		t.Errorf("chunk dead letters %v", keys)
	}
}
