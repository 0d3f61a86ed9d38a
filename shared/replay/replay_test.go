package replay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/pipeline"
)

func registry(t *testing.T, pattern string) *logtype.Registry {
	t.Helper()
	cfg := "log_types:\n  - name: app\n    order: 900\n    s3_key: '/app/'\n    format: text\n" +
		"    pattern: '" + pattern + "'\n    timestamp: {keys: [time], formats: [iso8601]}\n    index: {name: log-app}\n"
	reg, err := logtype.LoadConfig(logtype.Builtin(), strings.NewReader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// refusing refuses documents whose id is listed, like a mapping conflict.
type refusing struct {
	sink   *bulktest.MemorySink
	refuse map[string]bool
}

func (r *refusing) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	var ok []bulk.Doc
	var res bulk.Result
	for _, d := range docs {
		if r.refuse[d.ID] {
			res.Failed = append(res.Failed, bulk.Failure{Doc: d, Status: 400, Type: "mapper_parsing_exception", Reason: "failed to parse field [level]"})
			continue
		}
		ok = append(ok, d)
	}
	got, err := r.sink.Index(ctx, ok)
	res.Indexed = got.Indexed
	return res, err
}

// A definition too strict for some lines dead-letters them; once fixed,
// replay loads them with the ids a first-time load would have given, and
// clears the dead-letter file. Replaying again changes nothing.
func TestReplayAfterFix(t *testing.T) {
	ctx := context.Background()
	store := blobtest.NewMemory()
	const key = "logs/app/2024/03/04/app.log"
	const content = "2024-03-04T05:06:07Z INFO started\n2024-03-04T05:06:08Z WARN disk 91%\n2024-03-04T05:06:09Z INFO ok\n"
	store.Put(ctx, "logs", key, []byte(content))
	now := func() time.Time { return time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC) }
	strict := registry(t, `^(?P<time>\S+) (?P<level>INFO) (?P<msg>.*)$`)
	fixed := registry(t, `^(?P<time>\S+) (?P<level>INFO|WARN) (?P<msg>.*)$`)

	first := bulktest.NewMemorySink()
	steps, err := pipeline.NewSteps(pipeline.StepsConfig{Store: store, StagingBucket: "staging", Registry: strict, Indexer: first, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := steps.Split(ctx, pipeline.SplitInput{Bucket: "logs", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	p, err := steps.Load(ctx, *sp.Chunk)
	if err != nil || p.Counts.DeadLettered != 1 || p.Counts.Indexed != 2 {
		t.Fatalf("load: %+v %v", p.Counts, err)
	}

	// What a fixed definition gives on a fresh load: the reference ids.
	fresh := bulktest.NewMemorySink()
	freshStore := blobtest.NewMemory()
	freshStore.Put(ctx, "logs", key, []byte(content))
	steps2, _ := pipeline.NewSteps(pipeline.StepsConfig{Store: freshStore, StagingBucket: "staging", Registry: fixed, Indexer: fresh, Now: now})
	sp2, _ := steps2.Split(ctx, pipeline.SplitInput{Bucket: "logs", Key: key})
	if _, err := steps2.Load(ctx, *sp2.Chunk); err != nil || len(fresh.Docs()) != 3 {
		t.Fatalf("fresh load: %d docs, %v", len(fresh.Docs()), err)
	}

	replayed := bulktest.NewMemorySink()
	r := &Replayer{Store: store, Bucket: "staging", Registry: fixed, Indexer: replayed, Now: now}
	rep, err := r.Run(ctx, "dead-letter/")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 1 || rep.Records != 1 || rep.Indexed != 1 || rep.StillFailing != 0 || rep.FilesCleared != 1 {
		t.Errorf("report %+v", rep)
	}
	ids := map[string]bool{}
	for _, d := range fresh.Docs() {
		ids[d.Index+"/"+d.ID] = true
	}
	for _, d := range replayed.Docs() {
		if !ids[d.Index+"/"+d.ID] {
			t.Errorf("replayed %s/%s is not the id a fresh load gives (%v)", d.Index, d.ID, ids)
		}
	}
	if keys, _ := store.List(ctx, "staging", "dead-letter/"); len(keys) != 0 {
		t.Errorf("dead letters left: %v", keys)
	}
	if rep, _ := r.Run(ctx, "dead-letter/"); rep.Files != 0 {
		t.Errorf("second replay found %+v", rep)
	}
}

// Refused documents are replayed as they are; those refused again stay,
// with the new reason, and the rest are cleared from the file.
func TestReplayIndexDeadLetters(t *testing.T) {
	ctx := context.Background()
	store := blobtest.NewMemory()
	const key = "logs/app/x.log"
	store.Put(ctx, "logs", key, []byte("2024-03-04T05:06:07Z INFO a\n2024-03-04T05:06:08Z INFO b\n"))
	now := func() time.Time { return time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC) }
	reg := registry(t, `^(?P<time>\S+) (?P<level>INFO) (?P<msg>.*)$`)
	sink := bulktest.NewMemorySink()
	all := &refusing{sink: sink, refuse: map[string]bool{}}
	steps, _ := pipeline.NewSteps(pipeline.StepsConfig{Store: store, StagingBucket: "staging", Registry: reg, Indexer: all, Now: now})
	sp, _ := steps.Split(ctx, pipeline.SplitInput{Bucket: "logs", Key: key})
	// Refuse both the first time.
	docsOf := func() []string {
		var ids []string
		x := bulktest.NewMemorySink()
		s, _ := pipeline.NewSteps(pipeline.StepsConfig{Store: store, StagingBucket: "staging", Registry: reg, Indexer: x, Now: now})
		s.Load(ctx, *sp.Chunk)
		for _, d := range x.Docs() {
			ids = append(ids, d.ID)
		}
		return ids
	}
	ids := docsOf()
	for _, id := range ids {
		all.refuse[id] = true
	}
	out, err := steps.Load(ctx, *sp.Chunk)
	if err != nil || out.Counts.DeadLettered != 2 {
		t.Fatalf("load: %+v %v", out.Counts, err)
	}
	// The mapping is fixed for one of them only.
	delete(all.refuse, ids[0])
	r := &Replayer{Store: store, Bucket: "staging", Registry: reg, Indexer: all, Now: now}
	rep, err := r.Run(ctx, "dead-letter/index/")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indexed != 1 || rep.StillFailing != 1 || rep.FilesCleared != 0 || rep.Reasons["OpenSearch 400 mapper_parsing_exception"] != 1 {
		t.Errorf("report %+v", rep)
	}
	left, _ := (&Replayer{Store: store, Bucket: "staging", Registry: reg, DryRun: true}).Run(ctx, "dead-letter/index/")
	if left.Records != 1 {
		t.Errorf("file should hold the one still refused: %+v", left)
	}
}
