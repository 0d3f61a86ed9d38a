package format_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

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
		}
		f.Close()
		if n == 0 {
			t.Errorf("%s: no record decoded", c.file)
		}
	}
}
