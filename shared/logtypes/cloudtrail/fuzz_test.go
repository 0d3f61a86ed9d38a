package cloudtrail_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/normalize"
)

// checker is a normalize.Sink that checks every document has an id and
// an index and counts what it gets.
type checker struct {
	t                *testing.T
	docs, dead, skip int
}

func (c *checker) Document(rec format.Record, o normalize.Output, source []byte) error {
	if o.ID == "" || o.Index == "" || len(source) == 0 || source[0] != '{' {
		c.t.Fatalf("record %d: document without id or index: %q %q %.80s", rec.Num, o.ID, o.Index, source)
	}
	c.docs++
	return nil
}
func (c *checker) DeadLetter(int, []byte, string) error { c.dead++; return nil }
func (c *checker) Skip(int, string) error               { c.skip++; return nil }

// FuzzCloudTrail feeds arbitrary objects through framing, decoding,
// normalization and encoding: no panic, every record accounted for, every
// document with an id and an index.
//
// The seeds are the sample events one per log file, not the sample files,
// each cut to its small members (golden.MaxFuzzSeed bytes at most): every
// input the fuzzer finds new is minimized, which costs about the square of
// its size in runs, so seeds of a KB or more kept the fuzzer minimizing
// instead of fuzzing (a few execs a minute). The check is done on the
// documents as encoded, without decoding them again.
func FuzzCloudTrail(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil || strings.HasSuffix(p, ".golden.json") {
			continue
		}
		var file struct{ Records []json.RawMessage }
		if json.Unmarshal(b, &file) != nil || len(file.Records) == 0 {
			f.Add(b)
			continue
		}
		for _, r := range file.Records {
			f.Add([]byte(`{"Records":[` + string(smallRecord(r)) + `]}`))
		}
	}
	f.Add([]byte(`{"eventVersion":"1.08","eventTime":"2024-01-15T00:00:00Z","eventID":"e"}` + "\n" + `{"Records":[{"eventVersion":"1.08"},{},7,"x"]}` + "\nnot json\n" + `{"Records":[{"eventVersion":`))

	def := logtype.Builtin().Get("cloudtrail")
	ingested := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	// The normalizer is set up once: it depends only on the log type and
	// the key, and building it per input cost more than most inputs.
	norm := normalize.New(def, normalize.Source{Bucket: "siem-logs-123456789012", Key: "AWSLogs/123456789012/CloudTrail/us-east-1/x.json"}, ingested)
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:min(len(b), golden.MaxFuzzInput)] // see golden.MaxFuzzInput
		fr, err := format.OpenObject(def, bytes.NewReader(b))
		if err != nil {
			return // unreadable input (e.g. a broken gzip header) is an object-level error
		}
		c := &checker{t: t}
		in, err := normalize.Records(def, fr, norm, c)
		if err != nil {
			t.Fatal(err)
		}
		if c.docs+c.dead+c.skip != in {
			t.Fatalf("accounting: %d in, %d docs, %d dead, %d skipped", in, c.docs, c.dead, c.skip)
		}
	})
}

// smallRecord is a CloudTrail event cut to golden.MaxFuzzSeed bytes: its
// members in order, the biggest dropped first until it fits.
func smallRecord(r json.RawMessage) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(r, &m) != nil {
		var c bytes.Buffer
		json.Compact(&c, r)
		return c.Bytes()
	}
	for {
		b, _ := json.Marshal(m)
		if len(b) <= golden.MaxFuzzSeed-len(`{"Records":[]}`) || len(m) <= 1 {
			return b
		}
		big := ""
		for k, v := range m {
			if big == "" || len(v) > len(m[big]) || len(v) == len(m[big]) && k < big {
				big = k
			}
		}
		delete(m, big)
	}
}
