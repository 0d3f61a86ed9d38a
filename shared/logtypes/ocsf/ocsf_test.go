package ocsf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/ocsf"
	"github.com/siemloader/siem/shared/normalize"
	"github.com/siemloader/siem/shared/parquet/parquettest"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "ocsf-json") }

func TestSecurityLakeGolden(t *testing.T) {
	def := logtype.Builtin().Get("securitylake")
	if got := logtype.Builtin().Detect(def.SampleKey); got != def {
		t.Errorf("sample_key %s is detected as %v", def.SampleKey, got)
	}
	golden.Run(t, "securitylake", "testdata/securitylake", func(string) string { return def.SampleKey })
}

// Security Lake keys of AWS sources, custom sources and the subscriber
// bucket are all Security Lake; other OCSF JSON stays ocsf-json.
func TestSecurityLakeKeys(t *testing.T) {
	reg := logtype.Builtin()
	for key, want := range map[string]string{
		"aws/VPC_FLOW/2.0/region=eu-west-1/accountId=210987654321/eventDay=20240101/0a1b2c3d4e5f60718293a4b5c6d7e8f9.gz.parquet": "securitylake",
		"ext/my-edr/1.0/region=us-east-1/accountId=123456789012/eventDay=20240101/part-0001.parquet":                             "securitylake",
		"aws/ROUTE53/1.0/region=us-east-1/accountId=123456789012/eventHour=2024010112/x.gz.parquet":                              "securitylake",
		"ocsf-json/123456789012/2024/03/05/records.json.gz":                                                                      "ocsf-json",
	} {
		got := reg.Detect(key)
		if key == "aws/ROUTE53/1.0/region=us-east-1/accountId=123456789012/eventHour=2024010112/x.gz.parquet" {
			// No 32-hex name and no eventDay: not recognized by key alone.
			if got != nil && got.Name == "securitylake" {
				t.Errorf("%s detected as securitylake", key)
			}
			continue
		}
		if got == nil || got.Name != want {
			t.Errorf("%s detected as %v, want %s", key, got, want)
		}
	}
}

// The same four findings delivered as Parquet (Security Lake) and as JSON
// (ocsf-json) give the same documents, apart from what names the delivery:
// @message (the record as delivered), the id derived from it, @log_s3key
// and event.module.
func TestParquetAndJSONGiveSameDocuments(t *testing.T) {
	pb, err := os.ReadFile("testdata/securitylake/ocsfex_malware_infection_detected_sample.parquet")
	if err != nil {
		t.Fatal(err)
	}
	jb, err := os.ReadFile("testdata/twins/ocsfex_malware_infection_detected_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	ndjson, err := oneRecordPerLine(jb)
	if err != nil {
		t.Fatal(err)
	}
	reg := logtype.Builtin()
	key := "aws/SSC/1.0/region=us-east-1/accountId=123456789012/eventDay=20221115/x.gz.parquet"
	fromParquet, err := golden.Process(reg.Get("securitylake"), key, bytes.NewReader(pb))
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := golden.Process(reg.Get("ocsf-json"), key, bytes.NewReader(ndjson))
	if err != nil {
		t.Fatal(err)
	}
	if len(fromParquet.Documents) != 4 || len(fromJSON.Documents) != 4 {
		t.Fatalf("%d and %d documents, want 4 each", len(fromParquet.Documents), len(fromJSON.Documents))
	}
	for i := range fromParquet.Documents {
		p, j := fromParquet.Documents[i].Source, fromJSON.Documents[i].Source
		for _, d := range []map[string]any{p, j} {
			delete(d, "@message")
			delete(d, "@id")
			delete(d, "@log_s3key")
			delete(d["event"].(map[string]any), "module")
		}
		if fromParquet.Documents[i].Index != fromJSON.Documents[i].Index {
			t.Errorf("record %d: index %s vs %s", i+1, fromParquet.Documents[i].Index, fromJSON.Documents[i].Index)
		}
		if !reflect.DeepEqual(parquettest.DropNulls(p), parquettest.DropNulls(j)) {
			pj, _ := json.Marshal(p)
			jj, _ := json.Marshal(j)
			t.Errorf("record %d differs:\nparquet %s\n   json %s", i+1, pj, jj)
		}
	}
}

// A finding is dated by its last update (reference sf_securitylake), and
// its index follows that date.
func TestFindingDatedByModifiedTime(t *testing.T) {
	def := logtype.Builtin().Get("ocsf-json")
	rec := []byte(`{"category_uid":2,"class_uid":2001,"time":1700000000000,"finding":{"created_time":1690000000000,"modified_time":1695000000000}}` + "\n" +
		`{"category_uid":2,"time":1700000000000,"finding_info":{"created_time_dt":"2023-01-13T15:08:44.967-05:00"}}` + "\n" +
		`{"category_uid":4,"time":1700000000000,"finding":{"modified_time":1695000000000}}` + "\n")
	res, err := golden.Process(def, "ocsf-json/x.json", bytes.NewReader(rec))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ ts, index string }{
		{"2023-09-18T01:20:00Z", "log-ocsf-findings-2023-09"},
		{"2023-01-13T20:08:44.967Z", "log-ocsf-findings-2023-01"},
		{"2023-11-14T22:13:20Z", "log-ocsf-network-2023-11"},
	}
	for i, w := range want {
		d := res.Documents[i]
		if d.Source["@timestamp"] != w.ts || d.Index != w.index {
			t.Errorf("record %d: @timestamp %v index %s, want %s %s", i+1, d.Source["@timestamp"], d.Index, w.ts, w.index)
		}
	}
}

// Conformance tier: every Security Lake sample of the shared corpus loads
// without a dead letter (JSON as ocsf-json, Parquet as securitylake).
func TestCorpus(t *testing.T) {
	dir := "../../../../shared/corpus/securitylake"
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Skip("../shared/corpus absent: no Security Lake samples in " + dir + " (present on developer machines and CI only)")
	}
	reg := logtype.Builtin()
	for _, f := range files {
		name := filepath.Base(f)
		if filepath.Ext(name) == ".md" {
			continue
		}
		def := reg.Get("ocsf-json")
		if filepath.Ext(name) == ".parquet" {
			def = reg.Get("securitylake")
		}
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if def.Name == "ocsf-json" {
				if b, err = oneRecordPerLine(b); err != nil {
					t.Fatal(err)
				}
			}
			res, err := golden.Process(def, "aws/X/1.0/region=us-east-1/accountId=123456789012/eventDay=20240101/"+name, bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.DeadLetters) > 0 || len(res.Documents) == 0 {
				t.Errorf("%d documents, dead letters %+v", len(res.Documents), res.DeadLetters)
			}
			for _, d := range res.Documents {
				if _, err := normalize.ParseTime(d.Source["@timestamp"], nil, nil); err != nil {
					t.Errorf("record %d: @timestamp %v", d.Record, d.Source["@timestamp"])
				}
			}
		})
	}
}

// oneRecordPerLine turns a pretty-printed JSON record, or a JSON array of
// records, into one compact record per line, as the json format reads them.
func oneRecordPerLine(b []byte) ([]byte, error) {
	var recs []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		if err := json.Unmarshal(b, &recs); err != nil {
			return nil, err
		}
	} else {
		recs = []json.RawMessage{b}
	}
	var buf bytes.Buffer
	for _, r := range recs {
		if err := json.Compact(&buf, r); err != nil {
			return nil, err
		}
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}
