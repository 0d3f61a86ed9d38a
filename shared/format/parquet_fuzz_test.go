package format_test

import (
	"bytes"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/ocsf"
	_ "github.com/siemloader/siem/shared/logtypes/vpcflow"
	"github.com/siemloader/siem/shared/parquet/parquettest"
)

// FuzzParquetRecords feeds damaged Parquet files through the parse path of
// a typed (securitylake) and a text (vpcflowlogs) log type: no panic, and
// every record is a document, a dead letter or a skip.
func FuzzParquetRecords(f *testing.F) {
	flows, err := parquettest.Write(parquettest.Schema([]parquettest.Column{
		{Name: "version", Tag: "type=INT32"}, {Name: "account_id", Tag: "type=BYTE_ARRAY, convertedtype=UTF8"},
		{Name: "srcaddr", Tag: "type=BYTE_ARRAY, convertedtype=UTF8"}, {Name: "dstaddr", Tag: "type=BYTE_ARRAY, convertedtype=UTF8"},
		{Name: "srcport", Tag: "type=INT32"}, {Name: "bytes", Tag: "type=INT64"}, {Name: "start", Tag: "type=INT64"},
		{Name: "end", Tag: "type=INT64"}, {Name: "action", Tag: "type=BYTE_ARRAY, convertedtype=UTF8"},
	}), []string{
		`{"version":2,"account_id":"123456789012","srcaddr":"10.0.0.1","dstaddr":"198.51.100.7","srcport":443,"bytes":100,"start":1700000000,"end":1700000060,"action":"ACCEPT"}`,
		`{"version":2,"account_id":"123456789012","srcaddr":"10.0.0.2","action":"REJECT","start":1700000001,"end":1700000061}`,
		`{"version":2,"account_id":"123456789012","srcaddr":"2001:db8::1","dstaddr":"2001:db8::2","srcport":22,"bytes":5,"start":1700000002,"end":1700000062,"action":"ACCEPT"}`,
	}, 2, parquettest.Snappy)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(flows)
	f.Add(flows[:len(flows)-10])
	reg := logtype.Builtin()
	defs := []*logtype.Definition{reg.Get("securitylake"), reg.Get("vpcflowlogs")}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, def := range defs {
			res, err := golden.Process(def, def.SampleKey, bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", def.Name, err)
			}
			if got := len(res.Documents) + len(res.DeadLetters) + len(res.Skipped); got != res.RecordsIn {
				t.Fatalf("%s: %d records in, %d out", def.Name, res.RecordsIn, got)
			}
		}
	})
}
