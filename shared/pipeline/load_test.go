package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/geoip"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/useragent"
	"github.com/siemloader/siem/shared/xff"
)

// enrichers are all four, with MaxMind's test databases and an IoC
// database of the test feeds.
func enrichers(t *testing.T) []pipeline.Enricher {
	t.Helper()
	geo, err := geoip.Open("../geoip/testdata/GeoLite2-City-Test.mmdb", "../geoip/testdata/GeoLite2-ASN-Test.mmdb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { geo.Close() })
	ib := ioc.NewBuilder()
	for name, parse := range map[string]func(io.Reader) (ioc.Stats, error){
		"tor_exit-addresses.txt": ib.ParseTor,
		"txt_ipsum_levels_5.txt": func(f io.Reader) (ioc.Stats, error) { return ib.ParseTXT(f, ioc.Indicator{Provider: "ipsum"}) },
		"stix21_apt1.json":       func(f io.Reader) (ioc.Stats, error) { return ib.ParseSTIX(f, "custom", "apt1") },
	} {
		f, err := os.Open("../ioc/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parse(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	db := ioc.Open(ib.Build(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	trusted, err := xff.ParseTrusted(strings.NewReader("10.0.0.0/8\n"))
	if err != nil {
		t.Fatal(err)
	}
	return []pipeline.Enricher{
		pipeline.XFFEnricher{Trusted: trusted},
		pipeline.GeoIPEnricher{DB: geo},
		pipeline.IoCEnricher{DB: func() *ioc.DB { return db }},
		pipeline.UserAgentEnricher{Parser: useragent.Default()},
	}
}

// sample is one golden test input and the log type it is read as.
type sample struct {
	path string
	def  *logtype.Definition
}

// samples are the inputs of every golden file that yields documents, read
// as the log type of those documents under its sample key.
func samples(t *testing.T) []sample {
	t.Helper()
	goldens, _ := filepath.Glob("../logtypes/*/testdata/*.golden.json")
	if len(goldens) < 50 {
		t.Fatalf("found %d golden files", len(goldens))
	}
	var out []sample
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Documents []struct {
				Source struct {
					LogType string `json:"@log_type"`
				} `json:"_source"`
			} `json:"documents"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		if len(res.Documents) == 0 {
			continue
		}
		def := logtype.Builtin().Get(res.Documents[0].Source.LogType)
		if def == nil || def.SampleKey == "" {
			continue
		}
		out = append(out, sample{strings.TrimSuffix(g, ".golden.json"), def})
	}
	return out
}

// outcome is what a run left behind: documents as indexed, dead letters
// as written (their time fields are the fixture's fixed clock).
type outcome struct {
	counts pipeline.Counts
	docs   []string
	dead   map[string]string
}

func collect(t *testing.T, f *fixture, counts pipeline.Counts) outcome {
	t.Helper()
	o := outcome{counts: counts, dead: map[string]string{}}
	for _, d := range f.sink.Docs() {
		o.docs = append(o.docs, d.Index+" "+d.ID+" "+string(d.Source))
	}
	slices.Sort(o.docs)
	keys, _ := f.store.List(context.Background(), staging, "dead-letter/")
	for _, k := range keys {
		rc, _ := f.store.Get(context.Background(), staging, k)
		o.dead[k] = string(gunzip(t, rc))
		rc.Close()
	}
	return o
}

func gunzip(t *testing.T, r io.Reader) []byte {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	return b
}

func sameOutcome(t *testing.T, name string, want, got outcome) {
	t.Helper()
	if !equalCounts(want.counts, got.counts) {
		t.Errorf("%s: counts %+v, the deployed path gave %+v", name, got.counts, want.counts)
	}
	if !slices.Equal(want.docs, got.docs) {
		for i := range min(len(want.docs), len(got.docs)) {
			if want.docs[i] != got.docs[i] {
				t.Errorf("%s: document %d differs:\n got %s\nwant %s", name, i, got.docs[i], want.docs[i])
				break
			}
		}
		t.Errorf("%s: %d documents, the deployed path gave %d", name, len(got.docs), len(want.docs))
	}
	for k, v := range want.dead {
		if got.dead[k] != v {
			t.Errorf("%s: dead letters %s differ:\n got %q\nwant %q", name, k, got.dead[k], v)
		}
	}
	if len(got.dead) != len(want.dead) {
		t.Errorf("%s: %d dead-letter files, the deployed path wrote %d", name, len(got.dead), len(want.dead))
	}
}

func equalCounts(a, b pipeline.Counts) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestLoadPathsAgree runs every golden sample with every enricher
// through the deployed functions (split, then load_chunk, as the state
// machine invokes them), through Load and through LoadObject with one
// and with several workers (the local runner's path): documents, counts
// and dead letters must be the same. Without enrichers, Load's documents,
// dead letters and counts are what the golden harness (framing, decoding
// and normalization alone) makes of the sample.
func TestLoadPathsAgree(t *testing.T) {
	enr := enrichers(t)
	ctx := context.Background()
	all := samples(t)
	for _, s := range all {
		content, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatal(err)
		}
		name := s.def.Name + "/" + filepath.Base(s.path)
		in := pipeline.SplitInput{Bucket: logBucket, Key: s.def.SampleKey}

		deployed := newFixture(t, pipeline.StepsConfig{Enrichers: enr, InlineMaxBytes: 1 << 30})
		deployed.store.Put(ctx, logBucket, s.def.SampleKey, content)
		sp, counts := deployed.runAll(t, in)
		if sp.Skipped {
			t.Fatalf("%s: skipped: %s", name, sp.SkipReason)
		}
		identity(t, counts)
		want := collect(t, deployed, counts)
		if len(want.docs) == 0 {
			t.Fatalf("%s: no documents", name)
		}

		load := newFixture(t, pipeline.StepsConfig{Enrichers: enr, InlineMaxBytes: 1 << 30})
		load.store.Put(ctx, logBucket, s.def.SampleKey, content)
		out, err := load.steps.Load(ctx, *sp.Chunk)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		identity(t, out.Counts)
		sameOutcome(t, name+" Load", want, collect(t, load, out.Counts))

		for _, workers := range []int{1, 3} {
			obj := newFixture(t, pipeline.StepsConfig{Enrichers: enr})
			obj.store.Put(ctx, logBucket, s.def.SampleKey, content)
			res, err := obj.steps.LoadObject(ctx, in, workers, 2)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			identity(t, res.Counts)
			if want.counts.RecordsIn > 2 && res.Batches < 2 {
				t.Errorf("%s: %d records in %d batches of 2", name, want.counts.RecordsIn, res.Batches)
			}
			sameOutcome(t, name+" LoadObject", want, collect(t, obj, res.Counts))
		}

		plain := newFixture(t, pipeline.StepsConfig{InlineMaxBytes: 1 << 30})
		plain.store.Put(ctx, logBucket, s.def.SampleKey, content)
		out, err = plain.steps.Load(ctx, *sp.Chunk)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, err := golden.Process(s.def, s.def.SampleKey, bytes.NewReader(content))
		if err != nil {
			t.Fatalf("%s: golden: %v", name, err)
		}
		sameAsGolden(t, name, g, plain, out.Counts)
	}
	t.Logf("%d golden samples, same documents, counts and dead letters", len(all))
}

// sameAsGolden checks what a load without enrichers left behind against
// the golden harness's result for the same input.
func sameAsGolden(t *testing.T, name string, g golden.Result, f *fixture, c pipeline.Counts) {
	t.Helper()
	if c.RecordsIn != g.RecordsIn || c.Indexed != len(g.Documents) || c.DeadLettered != len(g.DeadLetters) || c.Skipped != len(g.Skipped) {
		t.Errorf("%s: counts %+v, golden: %d in, %d documents, %d dead letters, %d skipped", name, c, g.RecordsIn, len(g.Documents), len(g.DeadLetters), len(g.Skipped))
	}
	var want, got []string
	for _, d := range g.Documents {
		src, _ := json.Marshal(d.Source)
		want = append(want, fmt.Sprintf("%s %s %d %s", d.Index, d.ID, d.Record, src))
	}
	for _, d := range f.sink.Docs() {
		var m map[string]any
		if err := json.Unmarshal(d.Source, &m); err != nil {
			t.Fatalf("%s: document %s: %v", name, d.ID, err)
		}
		src, _ := json.Marshal(m)
		got = append(got, fmt.Sprintf("%s %s %d %s", d.Index, d.ID, d.Record, src))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		for i := range min(len(want), len(got)) {
			if want[i] != got[i] {
				t.Errorf("%s: document %d differs from golden:\n got %s\nwant %s", name, i, got[i], want[i])
				break
			}
		}
		t.Errorf("%s: %d documents, golden %d", name, len(got), len(want))
	}
	want, got = nil, nil
	for _, d := range g.DeadLetters {
		want = append(want, fmt.Sprintf("%d %s", d.Record, d.Reason))
	}
	keys, _ := f.store.List(context.Background(), staging, "dead-letter/parse/")
	for _, k := range keys {
		rc, _ := f.store.Get(context.Background(), staging, k)
		dec := json.NewDecoder(bytes.NewReader(gunzip(t, rc)))
		rc.Close()
		for {
			var d pipeline.DeadLetter
			if err := dec.Decode(&d); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %s: %v", name, k, err)
			}
			got = append(got, fmt.Sprintf("%d %s", d.Record, d.Reason))
		}
	}
	if !slices.Equal(want, got) {
		t.Errorf("%s: dead letters %q, golden %q", name, got, want)
	}
}

// TestLoadObjectDamagedGzip: records before the damage load, the rest is
// one dead letter saying where reading stopped, whatever the workers.
func TestLoadObjectDamagedGzip(t *testing.T) {
	ctx := context.Background()
	whole := gz(vpcLines(5000))
	damaged := whole[:len(whole)*2/3]
	for _, workers := range []int{1, 2} {
		f := newFixture(t, pipeline.StepsConfig{})
		f.store.Put(ctx, logBucket, vpcKey, damaged)
		res, err := f.steps.LoadObject(ctx, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey}, workers, 100)
		if err != nil {
			t.Fatal(err)
		}
		identity(t, res.Counts)
		// The cut line is one dead letter, the unreadable rest another.
		if res.Counts.DeadLettered != 2 || res.Counts.Reasons["unreadable from here to the end of the object"] != 1 || res.Counts.Indexed < 1000 {
			t.Fatalf("workers %d: %+v", workers, res.Counts)
		}
		dead := collect(t, f, res.Counts).dead
		if len(dead) != 1 {
			t.Fatalf("dead letters %v", dead)
		}
		for _, v := range dead {
			lines := strings.Split(strings.TrimSpace(v), "\n")
			if len(lines) != 2 || !strings.Contains(lines[1], "unreadable from here") {
				t.Errorf("dead letters, in record order, the unreadable rest last: %s", v)
			}
		}
	}
}

// refusing fails every call after the first n with a retryable error.
// LoadObject's workers call it at once: the count is atomic.
type refusing struct {
	sink  *bulktest.MemorySink
	calls atomic.Int64
	n     int64
}

func (r *refusing) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	if r.calls.Add(1) > r.n {
		return bulk.Result{}, &bulk.RetryableError{Status: 429, Reason: "too many requests"}
	}
	return r.sink.Index(ctx, docs)
}

// TestLoadRetryableFailsTheCall: a throttled cluster fails Load with the
// retryable error (the state machine tries again; ids are deterministic),
// never a partial success.
func TestLoadRetryableFailsTheCall(t *testing.T) {
	ctx := context.Background()
	r := &refusing{sink: bulktest.NewMemorySink(), n: 1}
	f := newFixture(t, pipeline.StepsConfig{Indexer: r, IndexBatch: 100})
	f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(1000)))
	_, err := f.steps.Load(ctx, pipeline.Chunk{Source: pipeline.ObjectRef{Bucket: logBucket, Key: vpcKey}, LogType: "vpcflowlogs", Data: pipeline.ObjectRef{Bucket: logBucket, Key: vpcKey}})
	var re *bulk.RetryableError
	if !errors.As(err, &re) || re.Status != 429 {
		t.Errorf("error %v, want the retryable 429", err)
	}
}

// TestLoadObjectRetryableDeadLetters: LoadObject (the local runner's
// path, where nobody retries the call) never fails on a throttled cluster:
// the documents it could not send are dead letters, retryable, with their
// documents for siem replay, and the accounting holds.
func TestLoadObjectRetryableDeadLetters(t *testing.T) {
	ctx := context.Background()
	for _, workers := range []int{1, 2} {
		r := &refusing{sink: bulktest.NewMemorySink(), n: 1}
		f := newFixture(t, pipeline.StepsConfig{Indexer: r, IndexBatch: 100})
		f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(1000)))
		res, err := f.steps.LoadObject(ctx, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey}, workers, 50)
		if err != nil {
			t.Fatalf("workers %d: %v", workers, err)
		}
		c := res.Counts
		if c.RecordsIn != 1000 || c.Indexed != 100 || c.DeadLettered != 900 || c.Pending != 0 {
			t.Errorf("workers %d: counts %+v", workers, c)
		}
		if c.Reasons["not sent, retryable"] != 900 {
			t.Errorf("workers %d: reasons %v", workers, c.Reasons)
		}
	}
}
