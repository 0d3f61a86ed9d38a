package normalize_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/normalize"
)

// A record with bytes that are not UTF-8 still loads, and its document
// says so: the tag invalid_utf8 and error.message. Valid records of the
// same object are not flagged. Covers JSON (decoded), text (regex) and a
// log type whose raw fields move under a field_prefix.
func TestInvalidUTF8Flagged(t *testing.T) {
	firstLine := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				return l
			}
		}
		t.Fatalf("%s: no line", path)
		return ""
	}
	alb := firstLine("../logtypes/alb/testdata/samples.log")
	ds := firstLine("../logtypes/deepsecurity/testdata/" + dsSample(t))
	for _, tc := range []struct {
		typ, good, bad string
	}{
		{"cloudtrail", `{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-15T00:00:00Z","eventID":"a","userAgent":"ok"}`,
			`{"eventVersion":"1.08","eventTime":"2024-01-15T00:00:01Z","eventID":"b","userAgent":"caf` + "\xe9\xff" + `"}]}`},
		{"alb", alb, strings.Replace(alb, "\"", "\"\xff\xfe", 1)},
		{"deepsecurity", ds, strings.Replace(ds, "|", "|\xc3", 1)},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			def := logtype.Builtin().Get(tc.typ)
			sep := "\n"
			if tc.typ == "cloudtrail" {
				sep = ","
			}
			res, err := golden.Process(def, def.SampleKey, bytes.NewReader([]byte(tc.good+sep+tc.bad+"\n")))
			if err != nil {
				t.Fatal(err)
			}
			if res.RecordsIn != 2 || len(res.Documents) != 2 {
				t.Fatalf("%d in, %d documents, dead letters %+v", res.RecordsIn, len(res.Documents), res.DeadLetters)
			}
			for i, d := range res.Documents {
				tags, _ := d.Source["tags"].([]any)
				msg := ""
				if e, ok := d.Source["error"].(map[string]any); ok {
					msg, _ = e["message"].(string)
				}
				flagged := false
				for _, tg := range tags {
					flagged = flagged || tg == normalize.TagInvalidUTF8
				}
				if want := i == 1; flagged != want || strings.Contains(msg, normalize.InvalidUTF8Message) != want {
					t.Errorf("document %d: tags %v, error.message %q (flag wanted: %v)", i+1, d.Source["tags"], msg, want)
				}
			}
		})
	}
}

func dsSample(t *testing.T) string {
	ents, err := os.ReadDir("../logtypes/deepsecurity/testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".log") {
			return e.Name()
		}
	}
	t.Fatal("no deepsecurity sample")
	return ""
}
