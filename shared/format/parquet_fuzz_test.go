package format_test

import (
	"bytes"
	"testing"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/ocsf"
	_ "github.com/siemloader/siem/shared/logtypes/vpcflow"
	"github.com/siemloader/siem/shared/normalize"
	"github.com/siemloader/siem/shared/parquet/parquettest"
)

// FuzzParquetRecords feeds damaged Parquet files through the parse path of
// a typed (securitylake) and a text (vpcflowlogs) log type: no panic, and
// every record is a document, a dead letter or a skip.
//
// The seeds are small (a few hundred bytes: the fuzzer minimizes each new
// input with about n² runs), the normalizers are built once and the sink
// only counts: the golden Process (every document decoded again, per
// input) made the fuzzer spend its minute minimizing (12 execs).
func FuzzParquetRecords(f *testing.F) {
	flows, err := parquettest.Write(parquettest.Schema([]parquettest.Column{
		{Name: "srcaddr", Tag: "type=BYTE_ARRAY, convertedtype=UTF8"}, {Name: "start", Tag: "type=INT64"},
	}), []string{`{"srcaddr":"10.0.0.1","start":1700000000}`}, 1, parquettest.Uncompressed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(flows)
	f.Add(flows[:len(flows)-10])
	reg := logtype.Builtin()
	type target struct {
		def  *logtype.Definition
		norm *normalize.Normalizer
	}
	var targets []target
	for _, name := range []string{"securitylake", "vpcflowlogs"} {
		def := reg.Get(name)
		targets = append(targets, target{def, normalize.New(def, normalize.Source{Bucket: "b", Key: def.SampleKey}, golden.Ingested).Routing(reg)})
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tg := range targets {
			fr, err := format.OpenObject(tg.def, bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", tg.def.Name, err)
			}
			c := &countSink{}
			in, err := normalize.Records(tg.def, fr, tg.norm, c)
			if err != nil {
				t.Fatalf("%s: %v", tg.def.Name, err)
			}
			if c.n != in {
				t.Fatalf("%s: %d records in, %d out", tg.def.Name, in, c.n)
			}
		}
	})
}

// countSink counts what normalize.Records makes of each record.
type countSink struct{ n int }

func (c *countSink) Document(format.Record, normalize.Output, []byte) error { c.n++; return nil }
func (c *countSink) DeadLetter(int, []byte, string) error                   { c.n++; return nil }
func (c *countSink) Skip(int, string) error                                 { c.n++; return nil }
