package normalize

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/logtype"
)

// What a transform decides besides the fields (id, id suffix, index, event
// time) reaches the output through logtype.Result, and nothing of it is
// left in the document.
func TestTransformResult(t *testing.T) {
	logtype.RegisterTransform("test-result", func(d map[string]any, r *logtype.Result) error {
		switch d["case"] {
		case "all":
			r.ID, r.IDSuffix, r.Index, r.Time = "fixed", "v2", "log-other", json.Number("1705276800")
		case "suffix":
			r.IDSuffix = "s"
		case "badtime":
			r.Time = "not a time"
		}
		return nil
	})
	def := &logtype.Definition{
		Name: "t", KeyPattern: "t/", Format: "json", Transform: "test-result",
		Timestamp:   logtype.TimestampSpec{Keys: []string{"ts"}},
		DocIDSuffix: "n",
		Index:       logtype.IndexSpec{Name: "log-t", Rotation: "daily"},
	}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	n := New(def, Source{Bucket: "b", Key: "t/x"}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	norm := func(c string) Output {
		t.Helper()
		o, err := n.Normalize([]byte(c), fieldsOf(map[string]any{"case": c, "ts": "2024-03-01T00:00:00Z", "n": "7"}))
		if err != nil {
			t.Fatal(err)
		}
		for k := range o.Doc {
			if strings.HasPrefix(k, "__") {
				t.Errorf("%s: working key %s left in the document", c, k)
			}
		}
		return o
	}
	o := norm("all")
	if o.ID != "fixed_v2" || o.Index != "log-other-2024-01-15" || o.Doc["@timestamp"] != "2024-01-15T00:00:00Z" || o.Doc["@id"] != "fixed_v2" {
		t.Errorf("all: id %s, index %s, @timestamp %v", o.ID, o.Index, o.Doc["@timestamp"])
	}
	o = norm("suffix")
	if !strings.HasSuffix(o.ID, "_s") || len(o.ID) != 34 || o.Index != "log-t-2024-03-01" {
		t.Errorf("suffix: id %s (want md5_s, the suffix instead of doc_id_suffix's), index %s", o.ID, o.Index)
	}
	o = norm("none")
	if !strings.HasSuffix(o.ID, "_7") {
		t.Errorf("none: id %s, want the doc_id_suffix field's value", o.ID)
	}
	o = norm("badtime")
	if msg, _ := o.Doc["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "event time") || o.Doc["@timestamp"] != "2024-03-01T00:00:00Z" {
		t.Errorf("badtime: error %q, @timestamp %v", msg, o.Doc["@timestamp"])
	}
}
