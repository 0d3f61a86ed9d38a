package format

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
)

// Lines longer than the reader's buffer, CRLF endings, blank lines and a
// last line without a newline frame as before; every record's Raw keeps
// its bytes after later calls to Next, and appending to one cannot reach
// the next.
func TestLineFramerRawStable(t *testing.T) {
	def := &logtype.Definition{Name: "t", KeyPattern: "x", Format: "text", Pattern: `(?P<all>.*)`, Index: logtype.IndexSpec{Name: "log-t"}}
	long := strings.Repeat("x", 600<<10)
	var want []string
	var content strings.Builder
	for i := 0; i < 5000; i++ {
		line := strings.Repeat(string(rune('a'+i%26)), 1+i%97)
		if i == 1234 {
			line = long
		}
		want = append(want, line)
		content.WriteString(line)
		if i%3 == 0 {
			content.WriteString("\r\n\n")
		} else if i < 4999 {
			content.WriteString("\n")
		}
	}
	recs := frameAll(t, def, content.String())
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	_ = append(recs[0].Raw, "clobber"...)
	for i, r := range recs {
		if string(r.Raw) != want[i] {
			t.Fatalf("record %d: %d bytes %.20q, want %d bytes %.20q", i, len(r.Raw), r.Raw, len(want[i]), want[i])
		}
	}
}

// Space-separated csv lines split as strings.Fields would, Unicode white
// space included.
func TestSplitSpaceMatchesFields(t *testing.T) {
	for _, s := range []string{
		"", " ", "a", " a  b\tc\r\n", "2 123 eni-1 10.0.0.1 - ACCEPT OK",
		"a\u00a0b c", "é b\u2003c", "a\x85b", "\v\fx\v",
	} {
		got := splitSpace(s, nil)
		want := strings.Fields(s)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
}

// A csv record costs a handful of allocations (line, values, map), not
// one per value, with a header line or with default headers.
func TestDecodeCSVAllocations(t *testing.T) {
	header := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	line := []byte("2 123456789012 eni-0a1b2c3d 10.0.1.5 10.0.2.9 443 49152 6 10 840 1620000000 1620000060 ACCEPT OK")
	def := &logtype.Definition{Name: "c", KeyPattern: "x", Format: "csv", Index: logtype.IndexSpec{Name: "log-c"},
		DefaultHeaders: []string{"a b c", header}}
	for _, rec := range []Record{{Raw: line, Header: header}, {Raw: line}} {
		var m map[string]any
		n := testing.AllocsPerRun(200, func() {
			var err error
			var d Decoded
			if d, err = decodeCSV(def, rec); err != nil {
				t.Fatal(err)
			}
			m = d.Fields
		})
		if n > 8 {
			t.Errorf("header %q: %v allocations per record", rec.Header, n)
		}
		vals := bytes.Fields(line)
		names := strings.Fields(header)
		for i, name := range names {
			if got := m[fieldName(name)]; got != string(vals[i]) {
				t.Errorf("%s = %#v, want %q", name, got, vals[i])
			}
		}
	}
}
