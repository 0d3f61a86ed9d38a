package format_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
)

// A record decoded into a given map (Record.Into, the normalizer's reused
// one) gets the fields it gets in a map of its own, in that very map, for
// every format that makes a record's map: json, csv, fields, text with a
// Go decoder, multiline. A dirty map is never handed in, so a decoder
// never has to empty it.
func TestDecodeInto(t *testing.T) {
	cases := []struct{ logType, file string }{
		{"cloudtrail", "../logtypes/cloudtrail/testdata/awsdocs_log_file_example_2.json"},
		{"vpcflowlogs", "../logtypes/vpcflow/testdata/awsdocs_flowlog_custom_v3_with_header.log"},
		{"s3accesslog", "../logtypes/s3accesslog/testdata/awsdocs_s3_server_access_log_examples.log"},
		{"alb", "../logtypes/alb/testdata/generations.log"},
		{"msk", "../logtypes/msk/testdata/own_broker.log"},
	}
	for _, c := range cases {
		def := logtype.Builtin().Get(c.logType)
		if def == nil {
			t.Fatalf("no log type %s", c.logType)
		}
		f, err := os.Open(c.file)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := format.OpenObject(def, f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			rec, err := fr.Next()
			if err != nil {
				break
			}
			rec.Raw = append([]byte(nil), rec.Raw...)
			want, werr := format.Decode(def, rec)
			into := map[string]any{}
			rec.Into = into
			got, gerr := format.Decode(def, rec)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s record %d: error %v, with Into %v", filepath.Base(c.file), rec.Num, werr, gerr)
			}
			if werr != nil {
				continue
			}
			n++
			if !reflect.DeepEqual(got.Fields, want.Fields) {
				t.Errorf("%s record %d: with Into %v, without %v", filepath.Base(c.file), rec.Num, got.Fields, want.Fields)
			}
			if reflect.ValueOf(got.Fields).UnsafePointer() != reflect.ValueOf(into).UnsafePointer() {
				t.Errorf("%s record %d: fields not decoded into the map given", filepath.Base(c.file), rec.Num)
			}
			// A text record's decoder hands its string of the record
			// on as Text (normalize's @message); JSON makes none.
			if wantText := def.Format != format.JSONName; (got.Text != "") != wantText || (wantText && got.Text != string(rec.Raw)) {
				t.Errorf("%s record %d: Text %q, want the record (%v)", filepath.Base(c.file), rec.Num, got.Text, wantText)
			}
			// A Stable record (the loader's batch arena) decodes the
			// same, and every format's Text is the record, sharing its
			// bytes.
			rec.Into, rec.Stable = nil, true
			stable, err := format.Decode(def, rec)
			if err != nil || !reflect.DeepEqual(stable.Fields, want.Fields) || stable.Text != string(rec.Raw) {
				t.Errorf("%s record %d: Stable gives %v, Text %q, err %v", filepath.Base(c.file), rec.Num, stable.Fields, stable.Text, err)
			} else if unsafe.StringData(stable.Text) != unsafe.SliceData(rec.Raw) {
				t.Errorf("%s record %d: Stable record's Text is a copy", filepath.Base(c.file), rec.Num)
			}
		}
		f.Close()
		if n == 0 {
			t.Errorf("%s: no record decoded", c.file)
		}
	}
}

// A line that came wrapped ({"message": ...}, as Firehose delivers text)
// is decoded from the message, but @message stays the record as framed:
// no Text.
func TestDecodeWrappedHasNoText(t *testing.T) {
	def := logtype.Builtin().Get("s3accesslog")
	line := `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2`
	plain, err := format.Decode(def, format.Record{Num: 1, Raw: []byte(line)})
	if err != nil || plain.Text != line {
		t.Fatalf("plain line: Text %q, err %v", plain.Text, err)
	}
	wrapped, err := format.Decode(def, format.Record{Num: 1, Raw: []byte(`{"message": "` + strings.ReplaceAll(line, `"`, `\"`) + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if wrapped.Text != "" {
		t.Errorf("wrapped line has Text %q", wrapped.Text)
	}
	if !reflect.DeepEqual(wrapped.Fields, plain.Fields) {
		t.Errorf("wrapped line decoded as %v, plain as %v", wrapped.Fields, plain.Fields)
	}
}
