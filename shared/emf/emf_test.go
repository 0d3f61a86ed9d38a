package emf

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The line follows the EMF specification: the _aws envelope names the
// namespace, the dimension sets (full and rolled up) and each metric's
// unit; values and dimensions are top-level members.
func TestWriteSchema(t *testing.T) {
	var out bytes.Buffer
	w := &Writer{Out: &out, Now: func() time.Time { return time.UnixMilli(1705276800123) }}
	err := w.Write(Line{
		Dimensions: map[string]string{"Function": "load", "LogType": "cloudtrail"},
		Rollup:     []string{"LogType"},
		Metrics:    []Metric{{"RecordsIn", 3, Count}, {"RecordLagSeconds", 12.5, Seconds}},
		Properties: map[string]any{"s3_key": "AWSLogs/x.json.gz"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1 {
		t.Fatalf("%d lines, want one: %s", n, out.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Function": "load", "LogType": "cloudtrail", "RecordsIn": 3.0, "RecordLagSeconds": 12.5, "s3_key": "AWSLogs/x.json.gz",
		"_aws": map[string]any{
			"Timestamp": 1705276800123.0,
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "SIEMLoader",
				"Dimensions": []any{[]any{"Function", "LogType"}, []any{"Function"}},
				"Metrics":    []any{map[string]any{"Name": "RecordsIn", "Unit": "Count"}, map[string]any{"Name": "RecordLagSeconds", "Unit": "Seconds"}},
			}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("line\n%s\nwant %v", out.String(), want)
	}
	out.Reset()
	if err := w.Write(Line{Dimensions: map[string]string{"Function": "load"}}); err != nil || out.Len() != 0 {
		t.Errorf("a line without metrics must not be written: %q %v", out.String(), err)
	}
}
