// Package bench measures parse (frame + decode + normalize + serialize) per
// log type on the largest real inputs available. `make bench` runs it on
// one core; records/s and MB/s are reported as custom metrics.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/geoip"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/normalize"
	"github.com/siemloader/siem/shared/parquet/parquettest"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/useragent"
)

const corpus = "../../shared/corpus"

// counter is a normalize.Sink that only counts.
type counter struct{ docs, dead int }

func (c *counter) Document(format.Record, normalize.Output, []byte) error { c.docs++; return nil }
func (c *counter) DeadLetter(int, []byte, string) error                   { c.dead++; return nil }
func (c *counter) Skip(int, string) error                                 { return nil }

// parseAll runs the load step's per-record work (without enrichment) over content and returns
// the number of records and documents.
func parseAll(tb testing.TB, def *logtype.Definition, key string, content []byte) (records, docs int) {
	fr, err := format.OpenObject(def, bytes.NewReader(content))
	if err != nil {
		tb.Fatal(err)
	}
	norm := normalize.New(def, normalize.Source{Bucket: "b", Key: key}, time.Now())
	var c counter
	n, err := normalize.Records(def, fr, norm, &c)
	if err != nil || c.dead == n && n > 0 {
		tb.Fatalf("%d records, %d dead letters: %v", n, c.dead, err)
	}
	return n, c.docs
}

func run(b *testing.B, typ, key string, content []byte) {
	def := logtype.Builtin().Get(typ)
	recs, docs := parseAll(b, def, key, content)
	if docs == 0 {
		b.Fatalf("%s: no documents from %d records", typ, recs)
	}
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		parseAll(b, def, key, content)
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(recs*b.N)/sec, "records/s")
	b.ReportMetric(float64(len(content)*b.N)/sec/1e6, "MB/s")
}

// cloudTrailInput is the 2,900 real events of the Invictus dataset as one
// CloudTrail log file, or the project's samples when the corpus is absent.
func cloudTrailInput(b *testing.B) []byte {
	raw, err := os.ReadFile(filepath.Join(corpus, "cloudtrail/invictus_aws_dataset_all_records.ndjson"))
	if err != nil {
		b.Logf("corpus absent (%v): using project samples", err)
		raw = nil
		files, _ := filepath.Glob("../shared/logtypes/cloudtrail/testdata/invictus_*.json")
		for _, f := range files {
			if !strings.HasSuffix(f, ".golden.json") {
				c, _ := os.ReadFile(f)
				raw = append(raw, c...)
				raw = append(raw, '\n')
			}
		}
		return raw
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	buf.Write(bytes.Join(lines, []byte(",")))
	buf.WriteString("]}\n")
	return buf.Bytes()
}

// repeatLines repeats the record lines of the given files to about size bytes.
func repeatLines(b *testing.B, size int, header string, globs ...string) []byte {
	var lines [][]byte
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, f := range files {
			if strings.HasSuffix(f, ".golden.json") || strings.HasSuffix(f, ".md") {
				continue
			}
			c, _ := os.ReadFile(f)
			for _, l := range bytes.Split(c, []byte("\n")) {
				l = bytes.TrimSpace(l)
				if len(l) > 0 && !bytes.HasPrefix(l, []byte("version ")) && !bytes.Equal(l, []byte("...")) {
					lines = append(lines, l)
				}
			}
		}
	}
	if len(lines) == 0 {
		b.Fatalf("no sample lines in %v", globs)
	}
	var buf bytes.Buffer
	if header != "" {
		buf.WriteString(header + "\n")
	}
	for i := 0; buf.Len() < size; i++ {
		buf.Write(lines[i%len(lines)])
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

const vpcHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

func BenchmarkParseCloudTrail(b *testing.B) {
	run(b, "cloudtrail", "AWSLogs/123456789012/CloudTrail/us-east-1/2023/07/10/x.json.gz", cloudTrailInput(b))
}

func BenchmarkParseVPCFlow(b *testing.B) {
	run(b, "vpcflowlogs", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/x.log.gz",
		repeatLines(b, 4<<20, vpcHeader, "../shared/logtypes/vpcflow/testdata/panther_*.log"))
}

func BenchmarkParseALB(b *testing.B) {
	run(b, "alb", "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/15/x_20240115T0000Z_192.0.2.1_abc.log.gz",
		repeatLines(b, 4<<20, "", "../shared/logtypes/alb/testdata/*.log"))
}

// BenchmarkPeakMemoryVPC100MB parses a 100 MB VPC flow chunk and reports
// the peak heap in use, sampled while it runs.
func BenchmarkPeakMemoryVPC100MB(b *testing.B) {
	content := repeatLines(b, 100<<20, vpcHeader, "../shared/logtypes/vpcflow/testdata/panther_*.log")
	def := logtype.Builtin().Get("vpcflowlogs")
	for i := 0; i < b.N; i++ {
		p := peakHeap(func() { parseAll(b, def, "AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log", content) })
		b.ReportMetric(float64(p)/1e6, "peak-heap-MB-above-input")
	}
}

// BenchmarkPeakMemoryParquetRowGroup parses a Parquet file of one 250,000-
// row group (Flow Logs writes groups this big): rows are decoded in
// batches, so the peak stays near the compressed group's size.
func BenchmarkPeakMemoryParquetRowGroup(b *testing.B) {
	text := repeatLines(b, 25<<20, vpcHeader, "../shared/logtypes/vpcflow/testdata/panther_*.log")
	pq, err := parquettest.FromText(string(text), parquettest.FlowLogTypes, 1<<30, parquettest.Snappy)
	if err != nil {
		b.Fatal(err)
	}
	def := logtype.Builtin().Get("vpcflowlogs")
	for i := 0; i < b.N; i++ {
		var recs int
		p := peakHeap(func() { recs, _ = parseAll(b, def, "AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log.parquet", pq) })
		b.ReportMetric(float64(recs), "rows-in-the-group")
		b.ReportMetric(float64(len(pq))/1e6, "file-MB")
		b.ReportMetric(float64(p)/1e6, "peak-heap-MB-above-input")
	}
}

// peakHeap runs fn and returns the most heap in use above what was in use
// before it, sampled every 20 ms.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var max uint64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				peak <- max
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > max {
					max = m.HeapInuse
				}
			}
		}
	}()
	fn()
	close(stop)
	p := <-peak
	return p - min(p, base.HeapInuse)
}

func BenchmarkParseS3AccessLog(b *testing.B) {
	run(b, "s3accesslog", "logs/2024-03-12-09-20-00-0A1B2C3D4E5F6A7B",
		repeatLines(b, 4<<20, "", "../shared/logtypes/s3accesslog/testdata/awsdocs_*.log", "../shared/logtypes/s3accesslog/testdata/panther_*.log"))
}

func BenchmarkParseWAF(b *testing.B) {
	run(b, "waf", "AWSLogs/123456789012/WAFLogs/us-east-1/acl/x_waflogs_x.log.gz",
		repeatLines(b, 4<<20, "", "../shared/logtypes/waf/testdata/panther_*.ndjson"))
}

func BenchmarkParseCloudFront(b *testing.B) {
	run(b, "cloudfront-standard", "AWSLogs/123456789012/CloudFront/E2EXAMPLE12345.2024-01-15-10.abcd1234.gz",
		repeatLines(b, 4<<20, "", "../shared/logtypes/cloudfront/testdata/*.log"))
}

// BenchmarkParseCWL measures CloudWatch Logs subscription data (Client VPN
// JSON messages in envelopes of 100 events, as Firehose concatenates them).
func BenchmarkParseCWL(b *testing.B) {
	raw, err := os.ReadFile("../shared/logtypes/clientvpn/testdata/awsdocs_connection-logging_example.json")
	var one map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &one)
	}
	if err != nil {
		b.Fatalf("documented Client VPN record: %v", err)
	}
	var buf bytes.Buffer
	for env := 0; buf.Len() < 4<<20; env++ {
		var events []map[string]any
		for i := 0; i < 100; i++ {
			one["port"] = fmt.Sprint(1024 + i)
			one["connection-id"] = fmt.Sprintf("cvpn-connection-%08d%04d", env, i)
			m, _ := json.Marshal(one)
			events = append(events, map[string]any{"id": fmt.Sprintf("%d%04d", env, i), "timestamp": 1585255035000 + i, "message": string(m)})
		}
		e, _ := json.Marshal(map[string]any{"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/clientvpn/x", "logStream": "s", "subscriptionFilters": []string{"siem"}, "logEvents": events})
		buf.Write(e)
	}
	run(b, "clientvpn", "AWSLogs/123456789012/ClientVPN/us-east-1/2024/03/04/05/x", buf.Bytes())
}

// docSink keeps the normalized documents.
type docSink struct{ docs []map[string]any }

func (s *docSink) Document(_ format.Record, o normalize.Output, _ []byte) error {
	s.docs = append(s.docs, o.Doc)
	return nil
}
func (s *docSink) DeadLetter(int, []byte, string) error { return nil }
func (s *docSink) Skip(int, string) error               { return nil }

// BenchmarkEnrich measures the enrich step's per-record cost with the
// databases loaded (MaxMind's test GeoLite2 databases, an IoC database
// of the test feeds), to set against the parse cost of the same records
// (BenchmarkParseCloudTrail). Each sub-benchmark is one enricher.
func BenchmarkEnrich(b *testing.B) {
	def := logtype.Builtin().Get("cloudtrail")
	input := cloudTrailInput(b)
	var sink docSink
	if _, err := normalize.Records(def, format.NewFramer(def, bytes.NewReader(input)), normalize.New(def, normalize.Source{Bucket: "b", Key: "AWSLogs/123456789012/CloudTrail/us-east-1/x.json"}, time.Now()), &sink); err != nil {
		b.Fatal(err)
	}
	geo, err := geoip.Open("../shared/geoip/testdata/GeoLite2-City-Test.mmdb", "../shared/geoip/testdata/GeoLite2-ASN-Test.mmdb")
	if err != nil {
		b.Fatal(err)
	}
	defer geo.Close()
	ib := ioc.NewBuilder()
	for _, f := range []struct {
		name  string
		parse func(io.Reader) (ioc.Stats, error)
	}{
		{"tor_exit-addresses.txt", ib.ParseTor},
		{"txt_ipsum_levels_5.txt", func(f io.Reader) (ioc.Stats, error) { return ib.ParseTXT(f, ioc.Indicator{Provider: "ipsum"}) }},
		{"stix21_apt1.json", func(f io.Reader) (ioc.Stats, error) { return ib.ParseSTIX(f, "custom", "apt1") }},
	} {
		fh, err := os.Open("../shared/ioc/testdata/" + f.name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.parse(fh); err != nil {
			b.Fatal(err)
		}
		fh.Close()
	}
	iocDB := ioc.Open(ib.Build(time.Now()))
	for _, e := range []struct {
		name string
		e    pipeline.Enricher
	}{
		{"geoip", pipeline.GeoIPEnricher{DB: geo}},
		{"ioc", pipeline.IoCEnricher{DB: func() *ioc.DB { return iocDB }}},
		{"useragent", pipeline.UserAgentEnricher{Parser: useragent.Default()}},
	} {
		b.Run(e.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, d := range sink.docs {
					e.e.Enrich(d, def)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(sink.docs)), "ns/record")
		})
	}
}

// BenchmarkParseMultiline measures multi-line records (RDS PostgreSQL
// slow statements spanning lines) framed by their first line.
func BenchmarkParseMultiline(b *testing.B) {
	block := "2024-03-04 05:06:09 UTC:10.0.1.50(52522):appuser@appdb:[12345]:LOG:  duration: 1523.456 ms  execute <unnamed>: SELECT *\n  FROM orders\n  WHERE created_at > now() - interval '1 day';\n" +
		"2024-03-04 05:06:07 UTC:10.0.1.50(52522):appuser@appdb:[12345]:LOG:  connection authorized: user=appuser database=appdb\n"
	var buf bytes.Buffer
	for buf.Len() < 4<<20 {
		buf.WriteString(block)
	}
	run(b, "rds-postgresql", "AWSLogs/123456789012/RDS/PostgreSQL/postgresql/us-east-1/2024/03/04/x.log", buf.Bytes())
}

// BenchmarkParseWinEvtXML measures Windows event XML (FSx audit events).
func BenchmarkParseWinEvtXML(b *testing.B) {
	raw, err := os.ReadFile("../shared/logtypes/windows/testdata/fsx-win_firehose.xml")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for buf.Len() < 4<<20 {
		buf.Write(raw)
	}
	run(b, "fsx-win", "AWSLogs/123456789012/FSx/aws-fsx-audit/us-east-1/2024/03/04/x", buf.Bytes())
}

// BenchmarkParseVPCFlowParquet is BenchmarkParseVPCFlow's flows as Flow
// Logs' Parquet delivery (typed columns, SNAPPY, 10,000-row groups).
func BenchmarkParseVPCFlowParquet(b *testing.B) {
	text := repeatLines(b, 4<<20, vpcHeader, "../shared/logtypes/vpcflow/testdata/panther_*.log")
	pq, err := parquettest.FromText(string(text), parquettest.FlowLogTypes, 10000, parquettest.Snappy)
	if err != nil {
		b.Fatal(err)
	}
	run(b, "vpcflowlogs", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/x.log.parquet", pq)
}

// ocsfSchema is an OCSF Network Activity record's common columns, nested
// as Security Lake writes them.
const ocsfSchema = `{"Tag":"name=schema","Fields":[
 {"Tag":"name=class_uid, type=INT32, repetitiontype=OPTIONAL"},
 {"Tag":"name=category_uid, type=INT32, repetitiontype=OPTIONAL"},
 {"Tag":"name=category_name, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
 {"Tag":"name=activity_name, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
 {"Tag":"name=time, type=INT64, repetitiontype=OPTIONAL"},
 {"Tag":"name=severity_id, type=INT32, repetitiontype=OPTIONAL"},
 {"Tag":"name=src_endpoint, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=ip, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
   {"Tag":"name=port, type=INT32, repetitiontype=OPTIONAL"},
   {"Tag":"name=instance_uid, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"}]},
 {"Tag":"name=dst_endpoint, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=ip, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
   {"Tag":"name=port, type=INT32, repetitiontype=OPTIONAL"}]},
 {"Tag":"name=traffic, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=bytes, type=INT64, repetitiontype=OPTIONAL"},
   {"Tag":"name=packets, type=INT64, repetitiontype=OPTIONAL"}]},
 {"Tag":"name=cloud, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=account_uid, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
   {"Tag":"name=region, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"}]},
 {"Tag":"name=metadata, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=version, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
   {"Tag":"name=profiles, type=LIST, repetitiontype=OPTIONAL", "Fields":[{"Tag":"name=element, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"}]},
   {"Tag":"name=product, repetitiontype=OPTIONAL", "Fields":[
     {"Tag":"name=name, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
     {"Tag":"name=vendor_name, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"}]}]}
]}`

// BenchmarkParseSecurityLakeParquet measures nested OCSF rows in Security
// Lake's shape (GZIP pages, 10,000-row groups).
func BenchmarkParseSecurityLakeParquet(b *testing.B) {
	var rows []string
	for i := 0; i < 40000; i++ {
		r, _ := json.Marshal(map[string]any{
			"class_uid": 4001, "category_uid": 4, "category_name": "Network Activity", "activity_name": "Traffic",
			"time": 1709632800000 + int64(i)*1000, "severity_id": 1,
			"src_endpoint": map[string]any{"ip": fmt.Sprintf("10.0.%d.%d", i/250%250, i%250), "port": 1024 + i%60000, "instance_uid": "i-0123456789abcdef0"},
			"dst_endpoint": map[string]any{"ip": fmt.Sprintf("203.0.113.%d", i%250), "port": 443},
			"traffic":      map[string]any{"bytes": 1000 + i, "packets": 10 + i%100},
			"cloud":        map[string]any{"account_uid": "123456789012", "region": "us-east-1"},
			"metadata": map[string]any{"version": "1.1.0", "profiles": []string{"cloud", "security_control"},
				"product": map[string]any{"name": "Amazon VPC", "vendor_name": "AWS"}},
		})
		rows = append(rows, string(r))
	}
	pq, err := parquettest.Write(ocsfSchema, rows, 10000, parquettest.Gzip)
	if err != nil {
		b.Fatal(err)
	}
	run(b, "securitylake", "aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20240305/3ab4c5d6e7f8091a2b3c4d5e6f708192.gz.parquet", pq)
}
