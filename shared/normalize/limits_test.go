package normalize

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/siemloader/siem/shared/logtype"
)

// One odd record cannot make its document unindexable: long strings are
// cut on a character boundary (full text in @message), deep objects and
// field floods become JSON text, and error.message says so.
func TestLimits(t *testing.T) {
	def := &logtype.Definition{Name: "l", KeyPattern: "x", Format: "json", Index: logtype.IndexSpec{Name: "log-l"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 20000) // 40,000 bytes
	deep := map[string]any{}
	cur := deep
	for i := 0; i < 25; i++ {
		next := map[string]any{}
		cur["n"] = next
		cur = next
	}
	cur["leaf"] = "x"
	flood := map[string]any{}
	for i := 0; i < 1500; i++ {
		flood[fmt.Sprintf("k%04d", i)] = i
	}
	raw := []byte(`{"big": "..."}`)
	d := map[string]any{"big": long, "deep": deep, "tags": flood, "small": map[string]any{"a": "b"}}
	o, err := New(def, Source{Bucket: "b", Key: "k"}, time.Now()).Normalize(raw, fieldsOf(d))
	if err != nil {
		t.Fatal(err)
	}
	big := o.Doc["big"].(string)
	if len(big) > MaxStringBytes || !strings.HasSuffix(big, TruncatedMarker) || !utf8.ValidString(big) {
		t.Errorf("long string: %d bytes, valid %v", len(big), utf8.ValidString(big))
	}
	if _, isText := o.Doc["tags"].(string); !isText {
		t.Errorf("1,500-field object not collapsed")
	}
	if _, isMap := o.Doc["small"].(map[string]any); !isMap {
		t.Errorf("small object collapsed too")
	}
	// deep: collapsed at the depth limit, not at the top.
	level := o.Doc["deep"].(map[string]any)
	depth := 1
	for {
		next, ok := level["n"].(map[string]any)
		if !ok {
			break
		}
		level, depth = next, depth+1
	}
	if _, isText := level["n"].(string); !isText || depth >= MaxDepth {
		t.Errorf("deep object: %d levels kept, then %T", depth, level["n"])
	}
	msg := o.Doc["error"].(map[string]any)["message"].(string)
	for _, want := range []string{"cut to 32766 bytes", "big", "deeper than 20 levels", "tags (1500 fields)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error.message %q lacks %q", msg, want)
		}
	}
	if countFields(o.Doc) > MaxFields {
		t.Errorf("%d fields left", countFields(o.Doc))
	}
}
