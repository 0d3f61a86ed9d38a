package moto

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/pipeline"
)

const logTypesDir = "../../shared/logtypes"

// typeSample is a log type's golden sample: the input and what the
// reviewed golden file says it becomes.
type typeSample struct {
	file   string
	body   []byte
	golden golden.Result
}

// samplesByType finds, for every built-in log type, the golden samples in
// its package's testdata that it produces (a package may hold several
// types; a sample belongs to the type whose output matches its golden ids).
func samplesByType(t *testing.T) map[string][]typeSample {
	t.Helper()
	nameRe := regexp.MustCompile(`(?m)^name:\s*(\S+)\s*$`)
	typesIn := map[string][]string{} // package dir -> type names
	yamls, _ := filepath.Glob(filepath.Join(logTypesDir, "*", "*.yaml"))
	for _, y := range yamls {
		b, err := os.ReadFile(y)
		if err != nil {
			t.Fatal(err)
		}
		if m := nameRe.FindSubmatch(b); m != nil {
			typesIn[filepath.Dir(y)] = append(typesIn[filepath.Dir(y)], string(m[1]))
		}
	}
	out := map[string][]typeSample{}
	for dir, names := range typesIn {
		goldens, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.golden.json"))
		nested, _ := filepath.Glob(filepath.Join(dir, "testdata", "*", "*.golden.json"))
		goldens = append(goldens, nested...)
		sort.Strings(goldens)
		for _, g := range goldens {
			input := strings.TrimSuffix(g, ".golden.json")
			body, err := os.ReadFile(input)
			if err != nil {
				continue
			}
			var want golden.Result
			gb, _ := os.ReadFile(g)
			if err := json.Unmarshal(gb, &want); err != nil {
				t.Fatalf("%s: %v", g, err)
			}
			for _, name := range names {
				def := logtype.Builtin().Get(name)
				if def == nil {
					continue
				}
				got, err := golden.Process(def, def.SampleKey, bytes.NewReader(body))
				// The documents must be this type's: a CloudWatch Logs
				// sample is routed to its log group's type whatever type
				// reads it.
				if len(want.Documents) == 0 {
					break
				}
				src := want.Documents[0].Source
				if err == nil && (src["@log_group"] == nil || src["@log_type"] == name) && sameIDs(got.Documents, want.Documents) {
					out[name] = append(out[name], typeSample{file: input, body: body, golden: want})
					break
				}
			}
		}
	}
	return out
}

func sameIDs(a, b []golden.Document) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Index != b[i].Index {
			return false
		}
		// Two types may read the same records alike (ocsf-json and
		// securitylake): event.module names the type.
		ma, _ := a[i].Source["event"].(map[string]any)
		mb, _ := b[i].Source["event"].(map[string]any)
		if ma["module"] != mb["module"] {
			return false
		}
	}
	return true
}

// pick prefers a sample that also dead-letters or skips records, so the
// execution's accounting is tested on more than documents.
func pick(samples []typeSample) typeSample {
	for _, s := range samples {
		if len(s.golden.DeadLetters)+len(s.golden.Skipped) > 0 && len(s.body) < 256<<10 {
			return s
		}
	}
	best := samples[0]
	for _, s := range samples[1:] {
		if len(s.body) < len(best.body) {
			best = s
		}
	}
	return best
}

// Every built-in log type loads end to end through the ingest state
// machine: its golden sample, stored under the type's sample S3 key, is
// detected from the key by the full registry, parsed, enriched and
// indexed, and the execution's counts and indexed ids are the golden
// file's.
func TestEveryLogTypeOnMoto(t *testing.T) {
	samples := samplesByType(t)
	srv := Start(t, nil)
	for _, def := range logtype.Builtin().All() {
		t.Run(def.Name, func(t *testing.T) {
			if len(samples[def.Name]) == 0 {
				t.Fatalf("no golden sample in %s/*/testdata produces %s documents", logTypesDir, def.Name)
			}
			sample := pick(samples[def.Name])
			t.Logf("sample %s (%d records in)", filepath.Base(sample.file), sample.golden.RecordsIn)
			s := srv.For(t)
			s.Reset()
			s.CreateBucket(logBucket, stagingBucket)
			s.PutObject(logBucket, def.SampleKey, sample.body)
			sm := s.CreateStateMachineFile("ingest", ingestASL, ingestSubstitutions())
			sink := bulktest.NewMemorySink()
			steps, err := pipeline.NewSteps(pipeline.StepsConfig{
				Store:         blob.S3{Client: s.S3},
				StagingBucket: stagingBucket,
				Indexer:       sink,
				Now:           func() time.Time { return golden.Ingested },
			})
			if err != nil {
				t.Fatal(err)
			}
			serveSteps(s, steps)
			e := sm.Run("type-"+strings.ReplaceAll(def.Name, "_", "-"), objectCreated(logBucket, def.SampleKey, len(sample.body)))
			if !e.Succeeded() {
				t.Fatalf("execution %s: %s %s", e.Status, e.Error, truncate(e.Cause, 1000))
			}
			var out struct {
				Chunk  *pipeline.Chunk `json:"chunk"`
				Counts pipeline.Counts `json:"counts"`
			}
			if err := json.Unmarshal(e.Output, &out); err != nil {
				t.Fatalf("output %s: %v", e.Output, err)
			}
			if out.Chunk == nil || out.Chunk.LogType != def.Name {
				t.Errorf("object detected as %+v, want %s", out.Chunk, def.Name)
			}
			c, g := out.Counts, sample.golden
			if c.RecordsIn != g.RecordsIn || c.Indexed != len(g.Documents) || c.DeadLettered != len(g.DeadLetters) || c.Skipped != len(g.Skipped) || c.Pending != 0 {
				t.Errorf("counts %+v, want golden: %d in, %d indexed, %d dead-lettered, %d skipped", c, g.RecordsIn, len(g.Documents), len(g.DeadLetters), len(g.Skipped))
			}
			if c.RecordsIn != c.Indexed+c.DeadLettered+c.Skipped {
				t.Errorf("accounting: %+v", c)
			}
			var got, want []string
			for _, d := range sink.Docs() {
				got = append(got, d.Index+"/"+d.ID)
			}
			for _, d := range g.Documents {
				want = append(want, d.Index+"/"+d.ID)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("indexed ids differ from the golden file's:\n got %v\nwant %v", got, want)
			}
		})
	}
}
