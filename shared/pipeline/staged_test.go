package pipeline

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// A staged document file holds the documented lines, byte for byte (names
// escaped as encoding/json does), and
// reads back as the documents written.
func TestStagedDocFile(t *testing.T) {
	in := []StagedDoc{
		{Index: "log-aws-vpcflowlogs-2024-01", ID: "abc", Record: 1, Source: json.RawMessage(`{"@timestamp":"2024-01-15T00:00:00.000Z","n":1}`)},
		{Index: `odd"index`, ID: "<id>&", Record: 70000, Source: json.RawMessage(`{"s":"a\u2028b"}`)},
	}
	w := newDocWriter()
	for _, d := range in {
		w.add(d)
	}
	file := w.bytes()
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	want := `{"_index":"log-aws-vpcflowlogs-2024-01","_id":"abc","record":1,"_source":{"@timestamp":"2024-01-15T00:00:00.000Z","n":1}}` + "\n" +
		`{"_index":"odd\"index","_id":"\u003cid\u003e\u0026","record":70000,"_source":{"s":"a\u2028b"}}` + "\n"
	if string(got) != want {
		t.Errorf("staged lines:\n%s\nwant:\n%s", got, want)
	}
	var back []StagedDoc
	if err := readStagedDocs(bytes.NewReader(file), "s3://b/k", func(d StagedDoc) error {
		back = append(back, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, in) {
		t.Errorf("read back %+v\nwant %+v", back, in)
	}
	if bd := back[0].bulkDoc(); bd.Encoded || bd.Index != in[0].Index || bd.ID != in[0].ID || bd.Record != 1 || string(bd.Source) != string(in[0].Source) {
		t.Errorf("bulk doc %+v", bd)
	}
	if err := readStagedDocs(strings.NewReader("not gzip"), "s3://b/k", func(StagedDoc) error { return nil }); err == nil || !strings.HasPrefix(err.Error(), "s3://b/k: ") {
		t.Errorf("not gzip: %v", err)
	}
}
