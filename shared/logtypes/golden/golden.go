// Package golden runs a log type's sample inputs through framing, decoding
// and normalization and compares the documents with reviewed expected
// output checked in beside them (testdata/<input>.golden.json).
//
// Regenerate after a deliberate change with `go test ./shared/logtypes/... -update`
// and review the diff before committing.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/normalize"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Updating reports -update, for other golden files a test binary writes.
func Updating() bool { return *update }

// Ingested is the fixed event.ingested time of golden documents.
var Ingested = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Result is what one input produces.
type Result struct {
	RecordsIn   int         `json:"records_in"`
	Documents   []Document  `json:"documents"`
	DeadLetters []DeadEntry `json:"dead_letters,omitempty"`
	Skipped     []DeadEntry `json:"skipped,omitempty"`
}

// Document is one normalized document with its destination.
type Document struct {
	Index  string         `json:"_index"`
	ID     string         `json:"_id"`
	Record int            `json:"record"`
	Source map[string]any `json:"_source"`
}

// DeadEntry is a record that could not become a document.
type DeadEntry struct {
	Record int    `json:"record"`
	Reason string `json:"reason"`
}

// Process frames, decodes and normalizes content as log type def, as the
// load step does, reading the object named key.
func Process(def *logtype.Definition, key string, content io.Reader) (Result, error) {
	var res Result
	fr, err := format.OpenObject(def, content)
	if err != nil {
		return res, err
	}
	norm := normalize.New(def, normalize.Source{Bucket: "siem-logs-123456789012", Key: key}, Ingested).Routing(logtype.Builtin())
	res.RecordsIn, err = normalize.Records(def, fr, norm, &res)
	if err != nil {
		return res, err
	}
	return res, nil
}

// Document implements normalize.Sink.
func (r *Result) Document(rec format.Record, o normalize.Output, source []byte) error {
	var src map[string]any
	if err := json.Unmarshal(source, &src); err != nil {
		return err
	}
	r.Documents = append(r.Documents, Document{Index: o.Index, ID: o.ID, Record: rec.Num, Source: src})
	return nil
}

// DeadLetter implements normalize.Sink.
func (r *Result) DeadLetter(num int, _ []byte, reason string) error {
	r.DeadLetters = append(r.DeadLetters, DeadEntry{Record: num, Reason: reason})
	return nil
}

// Skip implements normalize.Sink.
func (r *Result) Skip(num int, reason string) error {
	r.Skipped = append(r.Skipped, DeadEntry{Record: num, Reason: reason})
	return nil
}

// Run checks every input in dir (files that are not *.golden.json, README
// or fuzz corpora) against its golden file. key builds the S3 key an input
// is read as (it decides cloud.account.id and cloud.region).
func Run(t *testing.T, typeName, dir string, key func(file string) string) {
	t.Helper()
	RunMatching(t, typeName, dir, "", key)
}

// RunMatching is Run for the inputs whose name starts with prefix (a
// folder holding samples of several log types).
func RunMatching(t *testing.T, typeName, dir, prefix string, key func(file string) string) {
	t.Helper()
	def := logtype.Builtin().Get(typeName)
	if def == nil {
		t.Fatalf("log type %q not registered", typeName)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, prefix) || strings.HasSuffix(name, ".golden.json") || strings.HasPrefix(name, "README") || strings.HasPrefix(name, "LICENSE") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := Process(def, key(name), f)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Documents) + len(res.DeadLetters) + len(res.Skipped); got != res.RecordsIn {
				t.Errorf("accounting: %d records in, %d documents + %d dead letters + %d skipped", res.RecordsIn, len(res.Documents), len(res.DeadLetters), len(res.Skipped))
			}
			got, _ := json.MarshalIndent(res, "", "  ")
			got = append(got, '\n')
			gf := filepath.Join(dir, name+".golden.json")
			if *update {
				if err := os.WriteFile(gf, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from its golden file:\n%s", name, diff(string(want), string(got)))
			}
		})
	}
	if n == 0 {
		t.Fatalf("no sample inputs in %s", dir)
	}
}

// diff shows the first differing lines.
func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g + "\n")
			if shown++; shown >= 10 {
				break
			}
		}
	}
	return b.String()
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// Fuzz feeds arbitrary objects through framing, decoding and normalization
// of a log type, seeded with the files matching seedGlob: no panic, every
// record accounted for, every document with an id and an index.
func Fuzz(f *testing.F, typeName, key, seedGlob string) {
	files, _ := filepath.Glob(seedGlob)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".golden.json") {
			AddSeeds(f, b)
		}
	}
	def := logtype.Builtin().Get(typeName)
	// Set up once, not per input: the normalizer depends only on the log
	// type and the key, and the checks need only counts and each
	// document's id and index, not the documents decoded again (each
	// exec costs a fraction of Process, and the fuzzer minimizes every
	// new input with thousands of them).
	norm := normalize.New(def, normalize.Source{Bucket: "siem-logs-123456789012", Key: key}, Ingested).Routing(logtype.Builtin())
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:min(len(b), MaxFuzzInput)]
		fr, err := format.OpenObject(def, bytes.NewReader(b))
		if err != nil {
			return // unreadable input (e.g. a broken gzip header) is an object-level error
		}
		c := &counter{t: t}
		in, err := normalize.Records(def, fr, norm, c)
		if err != nil {
			t.Fatal(err)
		}
		if c.docs+c.dead+c.skipped != in {
			t.Fatalf("accounting: %d in, %d docs, %d dead, %d skipped", in, c.docs, c.dead, c.skipped)
		}
	})
}

// MaxFuzzSeed and MaxFuzzInput bound what the fuzz targets run. The
// fuzzer minimizes every input that finds new code, trying about n²/2
// cuts of an n-byte input (up to -fuzzminimizetime, 60 s by default):
// with whole sample files as seeds (KBs) it spent each minute minimizing
// one input, a few execs a minute. Seeds are kept small (a sample file's
// lines when the file is bigger) and only an input's first MaxFuzzInput
// bytes are run. The cut has no branch (min), so it is no new code that
// would make every long input interesting: bytes past it change nothing,
// and the minimizer drops them first, one tail cut each.
const (
	MaxFuzzSeed  = 256
	MaxFuzzInput = 512
)

// AddSeeds adds a sample file as fuzz seeds: whole when small, else each
// of its lines (a record of a line format) that is small.
func AddSeeds(f *testing.F, b []byte) {
	if len(b) <= MaxFuzzSeed {
		f.Add(b)
		return
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 && len(line) <= MaxFuzzSeed {
			f.Add(append([]byte(nil), line...))
		}
	}
}

// counter is the fuzz targets' normalize.Sink: it counts and checks that
// every document has an id, an index and a JSON object source.
type counter struct {
	t                   *testing.T
	docs, dead, skipped int
}

func (c *counter) Document(rec format.Record, o normalize.Output, source []byte) error {
	if o.ID == "" || o.Index == "" || len(source) < 2 || source[0] != '{' {
		c.t.Fatalf("record %d: document without id or index: %q %q %.80s", rec.Num, o.ID, o.Index, source)
	}
	c.docs++
	return nil
}
func (c *counter) DeadLetter(int, []byte, string) error { c.dead++; return nil }
func (c *counter) Skip(int, string) error               { c.skipped++; return nil }

// CheckType runs a log type's golden files (testdata/, read as its
// sample_key) and checks that its sample_key is detected as that type.
func CheckType(t *testing.T, typeName string) {
	t.Helper()
	def := logtype.Builtin().Get(typeName)
	if def == nil {
		t.Fatalf("log type %q not registered", typeName)
	}
	if got := logtype.Builtin().Detect(def.SampleKey); got != def {
		t.Errorf("sample_key %s is detected as %v, not %s", def.SampleKey, got, typeName)
	}
	Run(t, typeName, "testdata", func(string) string { return def.SampleKey })
}

// BulkDocs reads the documents of every golden file matching pattern as
// the index step sends them (the sources as written), and how many files
// held them.
func BulkDocs(pattern string) ([]bulk.Doc, int, error) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		return nil, 0, err
	}
	var docs []bulk.Doc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, 0, err
		}
		var res struct {
			Documents []bulk.Doc `json:"documents"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", f, err)
		}
		docs = append(docs, res.Documents...)
	}
	return docs, len(files), nil
}
