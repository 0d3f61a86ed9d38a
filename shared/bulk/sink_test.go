package bulk

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// 9. FileSink appends each source, one JSON per line, to DIR/<index>.ndjson.
func TestFileSink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "docs") // created on demand
	s := NewFileSink(dir)
	ctx := context.Background()
	res, err := s.Index(ctx, []Doc{
		{Index: "logs-a", ID: "1", Source: json.RawMessage(`{"n":1}`)},
		{Index: "logs-b", ID: "2", Source: json.RawMessage("{\n  \"n\": 2,\n  \"m\": \"x\\ny\"\n}")},
		{Index: "logs-a", ID: "3", Source: json.RawMessage(`{"n":3}`)},
	})
	if err != nil || res.Indexed != 3 || len(res.Failed) != 0 {
		t.Fatalf("Index = %+v, %v", res, err)
	}
	res, err = s.Index(ctx, []Doc{
		{Index: "logs-a", ID: "4", Source: json.RawMessage(`{"n":4}`)},
		{Index: "logs-a", ID: "5", Source: json.RawMessage(`{"n":`)},   // not JSON
		{Index: "../etc", ID: "6", Source: json.RawMessage(`{"n":6}`)}, // not a file name
	})
	if err != nil || res.Indexed != 1 || len(res.Failed) != 2 || res.Failed[0].Doc.ID != "5" || res.Failed[1].Doc.ID != "6" {
		t.Fatalf("Index = %+v, %v", res, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"logs-a.ndjson": "{\"n\":1}\n{\"n\":3}\n{\"n\":4}\n",
		"logs-b.ndjson": "{\"n\":2,\"m\":\"x\\ny\"}\n",
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("files %v, want %d", entries, len(want))
	}
	for name, content := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != content {
			t.Errorf("%s = %q, want %q", name, b, content)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "etc.ndjson")); err == nil {
		t.Errorf("wrote outside the sink directory")
	}

	// Appends after Close reopen the files.
	s2 := NewFileSink(dir)
	if _, err := s2.Index(ctx, []Doc{{Index: "logs-b", ID: "7", Source: json.RawMessage(`{"n":7}`)}}); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "logs-b.ndjson"))
	if string(b) != want["logs-b.ndjson"]+"{\"n\":7}\n" {
		t.Errorf("after append: %q", b)
	}
}
