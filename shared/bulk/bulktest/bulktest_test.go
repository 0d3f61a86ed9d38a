package bulktest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
)

func TestMemorySink(t *testing.T) {
	m := NewMemorySink()
	var docs []bulk.Doc
	for i := range 3 {
		docs = append(docs, bulk.Doc{Index: "logs-test", ID: fmt.Sprintf("id-%03d", i), Source: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
	}
	res, err := m.Index(context.Background(), docs[:2])
	if err != nil || res.Indexed != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	// Callers may reuse a source's memory once Index has returned.
	docs[0].Source[len(docs[0].Source)-2] = '9'
	m.Index(context.Background(), docs[2:])
	got := m.Docs()
	if len(got) != 3 || got[2].ID != "id-002" {
		t.Errorf("Docs = %+v", got)
	}
	got[0].ID = "changed"
	if m.Docs()[0].ID != "id-000" {
		t.Errorf("Docs is not a copy")
	}
	if s := string(m.Docs()[0].Source); s != `{"n":0}` {
		t.Errorf("source kept by reference: %s", s)
	}
}
