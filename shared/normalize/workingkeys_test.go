package normalize

import (
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
)

// What a decoder learns besides a record's fields (a problem, the
// FireLens log line, the CloudWatch Logs envelope) is typed in
// format.Decoded: no "__" working key reaches the decoded fields or the
// document.
func TestNoWorkingKeys(t *testing.T) {
	valid := func(d *logtype.Definition) *logtype.Definition {
		d.KeyPattern, d.Index = "x", logtype.IndexSpec{Name: "log-" + d.Name}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name    string
		def     *logtype.Definition
		content string
		check   func(t *testing.T, d format.Decoded, doc map[string]any)
	}{
		{
			name: "cwl",
			def:  valid(&logtype.Definition{Name: "c", Format: "text", Pattern: `^(?P<verb>[A-Z]+) (?P<path>\S+)$`, ViaCWL: true}),
			content: `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/web","logStream":"s","subscriptionFilters":["f"],` +
				`"logEvents":[{"id":"e1","timestamp":1700000001000,"message":"GET /a"}]}`,
			check: func(t *testing.T, d format.Decoded, doc map[string]any) {
				if d.CWL == nil || d.CWL.ID != "e1" || doc["@message"] != "GET /a" {
					t.Errorf("cwl: %+v %v", d.CWL, doc["@message"])
				}
			},
		},
		{
			name:    "firelens",
			def:     valid(&logtype.Definition{Name: "f", Format: "text", Pattern: `^(?P<verb>[A-Z]+) (?P<path>\S+)$`, ViaFireLens: true}),
			content: `{"container_id":"c1","source":"stdout","log":"GET /b"}`,
			check: func(t *testing.T, d format.Decoded, doc map[string]any) {
				if d.Message == nil || *d.Message != "GET /b" || doc["@message"] != "GET /b" {
					t.Errorf("firelens: %v %v", d.Message, doc["@message"])
				}
			},
		},
		{
			name:    "firelens stderr problem",
			def:     valid(&logtype.Definition{Name: "fs", Format: "text", Pattern: `^(?P<verb>[A-Z]+) (?P<path>\S+)$`, ViaFireLens: true}),
			content: `{"container_id":"c1","source":"stderr","log":"panic: boom"}`,
			check: func(t *testing.T, d format.Decoded, doc map[string]any) {
				if d.Problem == "" || !strings.Contains(errorMessage(doc), "container stderr") {
					t.Errorf("stderr: %q %v", d.Problem, doc["error"])
				}
			},
		},
		{
			name:    "json problem",
			def:     valid(&logtype.Definition{Name: "j", Format: "json", RecordsField: "Records", RequiredField: "eventName"}),
			content: `{"Records":[{"other":1}]}`,
			check: func(t *testing.T, d format.Decoded, doc map[string]any) {
				if d.Problem == "" || !strings.Contains(errorMessage(doc), "without a \"eventName\" field") {
					t.Errorf("json: %q %v", d.Problem, doc["error"])
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fr := format.NewFramer(c.def, strings.NewReader(c.content))
			rec, err := fr.Next()
			if err != nil {
				t.Fatal(err)
			}
			d, err := format.Decode(c.def, rec)
			if err != nil {
				t.Fatal(err)
			}
			if k := workingKey(d.Fields); k != "" {
				t.Errorf("decoded fields hold %q", k)
			}
			o, err := New(c.def, Source{Bucket: "b", Key: "k"}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).Normalize(rec.Raw, d)
			if err != nil {
				t.Fatal(err)
			}
			if k := workingKey(o.Doc); k != "" {
				t.Errorf("document holds %q", k)
			}
			c.check(t, d, o.Doc)
		})
	}
}

// workingKey returns a "__"-prefixed key anywhere in m, or "".
func workingKey(m map[string]any) string {
	for k, v := range m {
		if strings.HasPrefix(k, "__") {
			return k
		}
		if sub, ok := v.(map[string]any); ok {
			if k := workingKey(sub); k != "" {
				return k
			}
		}
	}
	return ""
}

// errorMessage is the document's error.message as text.
func errorMessage(doc map[string]any) string {
	e, _ := doc["error"].(map[string]any)
	switch m := e["message"].(type) {
	case string:
		return m
	case []any:
		var s []string
		for _, v := range m {
			s = append(s, v.(string))
		}
		return strings.Join(s, "; ")
	case []string:
		return strings.Join(m, "; ")
	}
	return ""
}
