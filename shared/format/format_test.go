package format

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
)

func frameAll(t *testing.T, def *logtype.Definition, content string) []Record {
	t.Helper()
	fr := NewFramer(def, strings.NewReader(content))
	var out []Record
	for {
		r, err := fr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("frame: %v", err)
		}
		out = append(out, r)
	}
}

// Firehose concatenates CloudWatch Logs envelopes with no separator; a
// control message's event is a counted skip; a value that is no envelope
// is one record Decode rejects with the reason.
func TestCWLFraming(t *testing.T) {
	def := &logtype.Definition{Name: "t", KeyPattern: "x", Format: "text", Pattern: `(?P<verb>\w+) (?P<path>\S+)`, ViaCWL: true, Index: logtype.IndexSpec{Name: "log-t"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	content := `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1700000000000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}` +
		`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/web/access","logStream":"i-0abc",` + "\n" +
		`"logEvents":[{"id":"1","timestamp":1700000001000,"message":"GET /a\n"},{"id":"2","timestamp":1700000002000,"message":"???"}]}` +
		"\n" + `{"hello":"world"}`
	recs := frameAll(t, def, content)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4: %+v", len(recs), recs)
	}
	if recs[0].Skip != SkipControlMessage || recs[0].Num != 1 {
		t.Errorf("control message: %+v", recs[0])
	}
	d, err := Decode(def, recs[1])
	if err != nil {
		t.Fatal(err)
	}
	f, meta := d.Fields, d.CWL
	if f["verb"] != "GET" || f["path"] != "/a" || meta == nil || meta.Owner != "123456789012" || meta.LogGroup != "/web/access" || meta.LogStream != "i-0abc" || meta.ID != "1" || meta.Timestamp != 1700000001000 {
		t.Errorf("record 2: %+v %+v", f, meta)
	}
	if _, err := decodeMap(def, recs[2]); err == nil || recs[2].Num != 3 {
		t.Errorf("message not matching the pattern decoded: %v", err)
	}
	if _, err := decodeMap(def, recs[3]); err == nil || !strings.Contains(err.Error(), "not a CloudWatch Logs subscription message") {
		t.Errorf("non-envelope: %v", err)
	}

	// The same log exported as plain text, without the subscription.
	plain := frameAll(t, def, "\nGET /b\nPUT /c\n")
	if len(plain) != 2 || plain[0].Num != 2 {
		t.Fatalf("plain text: %+v", plain)
	}
	if d, err := Decode(def, plain[1]); err != nil || d.Fields["verb"] != "PUT" || d.CWL != nil {
		t.Errorf("plain line: %v %v", f, err)
	}
	// A JSON log type takes a bare record as it is.
	jdef := &logtype.Definition{Name: "j", KeyPattern: "x", Format: "json", ViaCWL: true, Index: logtype.IndexSpec{Name: "log-j"}}
	if err := jdef.Validate(); err != nil {
		t.Fatal(err)
	}
	bare := frameAll(t, jdef, `{"a":1}`)
	if f, err := decodeMap(jdef, bare[0]); len(bare) != 1 || err != nil || f["a"] == nil {
		t.Errorf("bare JSON record: %v %v", f, err)
	}
}

// Security Hub findings arrive as EventBridge events holding a list in
// detail: each finding is a record carrying the envelope's cwe_* fields.
func TestEventBridgeDetailRecords(t *testing.T) {
	def := &logtype.Definition{Name: "t", KeyPattern: "x", Format: "json", RecordsField: "findings", Index: logtype.IndexSpec{Name: "log-t"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	content := `{"version":"0","id":"ev-1","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","account":"123456789012","time":"2024-03-04T05:06:07Z","region":"eu-west-1","resources":[],` +
		`"detail":{"findings":[{"Id":"f1","id":"own"},{ }]}}` + "\n" + `{"findings":[{"Id":"f3"}]}`
	recs := frameAll(t, def, content)
	if len(recs) != 3 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	f1, err := decodeMap(def, recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if f1["Id"] != "f1" || f1["cwe_id"] != "ev-1" || f1["cwe_accountid"] != "123456789012" || f1["cwe_region"] != "eu-west-1" || f1["cwe_timestamp"] != "2024-03-04T05:06:07Z" || f1["cwe_source"] != "aws.securityhub" || f1["id"] != "own" {
		t.Errorf("finding 1: %v", f1)
	}
	if f2, err := decodeMap(def, recs[1]); err != nil || f2["cwe_id"] != "ev-1" {
		t.Errorf("empty finding: %v %v", f2, err)
	}
	if f3, err := decodeMap(def, recs[2]); err != nil || f3["Id"] != "f3" || f3["cwe_id"] != nil {
		t.Errorf("plain findings list: %v %v", f3, err)
	}
}

// A multiline record runs from a first line to the next; lines before the
// first one are a record Decode rejects with the reason.
func TestMultilineFraming(t *testing.T) {
	def := &logtype.Definition{Name: "m", KeyPattern: "x", Format: "multiline", MultilineFirstLine: `^20\d\d-`,
		Pattern: `(?s)^(?P<time>\S+ \S+) (?P<level>[A-Z]+): (?P<message>.*)$`, Index: logtype.IndexSpec{Name: "log-m"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	content := "  at orphan.Frame()\n\n2024-01-02 03:04:05 ERROR: boom\n  at a.B()\r\n  at c.D()\n\n2024-01-02 03:04:06 LOG: ok\n2024-01-02 03:04:07 LOG: last"
	recs := frameAll(t, def, content)
	if len(recs) != 4 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	if _, err := decodeMap(def, recs[0]); recs[0].Num != 1 || err == nil || !strings.Contains(err.Error(), "before the first record") {
		t.Errorf("orphan lines: %+v %v", recs[0], err)
	}
	f, err := decodeMap(def, recs[1])
	if err != nil || recs[1].Num != 3 || f["message"] != "boom\n  at a.B()\n  at c.D()" || f["level"] != "ERROR" {
		t.Errorf("record 2: %+v %v %v", recs[1], f, err)
	}
	if string(recs[3].Raw) != "2024-01-02 03:04:07 LOG: last" || recs[3].Num != 8 {
		t.Errorf("last record: %+v", recs[3])
	}
	bad := *def
	bad.MultilineFirstLine = ""
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "multiline_firstline") {
		t.Errorf("missing first line regex: %v", err)
	}
}

// FireLens lines: the log is decoded with the type's format, the task
// metadata become fields, stderr is skipped when the type says so and
// otherwise loads even when it does not match.
func TestFireLens(t *testing.T) {
	def := &logtype.Definition{Name: "f", KeyPattern: "x", Format: "text", Pattern: `^(?P<verb>[A-Z]+) (?P<path>\S+)$`, ViaFireLens: true, Index: logtype.IndexSpec{Name: "log-f"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	content := `{"container_id":"c1","container_name":"/ecs-web-1","source":"stdout","log":"GET /health","ecs_cluster":"prod","ecs_task_arn":"arn:aws:ecs:us-east-1:123456789012:task/prod/abc","ecs_task_definition":"web:3"}
{"container_id":"c1","container_name":"/ecs-web-1","source":"stderr","log":"panic: runtime error","ecs_cluster":"prod"}
{"container_id":"c1","source":"stdout","log":"not a request"}
PUT /plain-line
`
	recs := frameAll(t, def, content)
	if len(recs) != 4 || recs[1].Skip != "" {
		t.Fatalf("%+v", recs)
	}
	d, err := Decode(def, recs[0])
	f := d.Fields
	if err != nil || f["verb"] != "GET" || f["container_name"] != "/ecs-web-1" || f["container_source"] != "stdout" || f["ecs_task_definition"] != "web:3" || d.Message == nil || *d.Message != "GET /health" {
		t.Errorf("stdout line: %+v %v", d, err)
	}
	if d, err := Decode(def, recs[1]); err != nil || d.Fields["message"] != "panic: runtime error" || d.Problem == "" {
		t.Errorf("stderr line: %v %v", f, err)
	}
	if _, err := decodeMap(def, recs[2]); err == nil {
		t.Error("unmatched stdout line decoded")
	}
	if f, err := decodeMap(def, recs[3]); err != nil || f["verb"] != "PUT" {
		t.Errorf("plain line: %v %v", f, err)
	}
	def.IgnoreContainerStderr = true
	if recs := frameAll(t, def, content); recs[1].Skip != SkipContainerStderr || recs[0].Skip != "" {
		t.Errorf("stderr not skipped: %+v", recs)
	}
}

func TestCEF(t *testing.T) {
	cases := []struct {
		line string
		want map[string]any
	}{
		{`<190>Jan 19 13:36:47 2K19-va CEF:0|Trend Micro|Deep Security Agent|20.0.1.690|1001251|Disallow WPAD|6|cn1=4 cn1Label=Host ID dvchost=2K19-va.test.local src=216.160.83.56 spt=53 act=Reset cs1=CVE-2007-5355 cs1Label=DPI Note`,
			map[string]any{"syslog_pri": "190", "syslog_timestamp": "Jan 19 13:36:47", "syslog_host": "2K19-va", "cef_version": "0", "cef_device_vendor": "Trend Micro",
				"cef_device_product": "Deep Security Agent", "cef_device_version": "20.0.1.690", "cef_device_event_class_id": "1001251", "cef_name": "Disallow WPAD", "cef_severity": "6",
				"host_id": "4", "dvchost": "2K19-va.test.local", "src": "216.160.83.56", "spt": "53", "act": "Reset", "dpi_note": "CVE-2007-5355"}},
		{`CEF:0|Vendor\|Inc|Prod\\uct|1|id|Name with = sign|10|msg=a\=b c\\d\nline2 request=https://x/?a=b&c=d target=1011144 - AutoRun (T1547.001) suser=System`,
			map[string]any{"cef_version": "0", "cef_device_vendor": "Vendor|Inc", "cef_device_product": `Prod\uct`, "cef_device_version": "1", "cef_device_event_class_id": "id",
				"cef_name": "Name with = sign", "cef_severity": "10", "msg": "a=b c\\d\nline2", "request": "https://x/?a=b&c=d", "target": "1011144 - AutoRun (T1547.001)", "suser": "System"}},
		{`<134>2024-03-04T05:06:07+00:00 dsm CEF:0|Trend Micro|Deep Security Manager|20.0|600|User Signed In|3`,
			map[string]any{"syslog_pri": "134", "syslog_timestamp": "2024-03-04T05:06:07+00:00", "syslog_host": "dsm", "cef_version": "0", "cef_device_vendor": "Trend Micro",
				"cef_device_product": "Deep Security Manager", "cef_device_version": "20.0", "cef_device_event_class_id": "600", "cef_name": "User Signed In", "cef_severity": "3"}},
	}
	for _, c := range cases {
		got, err := decodeCEF([]byte(c.line))
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.line, got, c.want)
		}
	}
	for _, bad := range []string{"no header here", "CEF:0|only|three"} {
		if _, err := decodeCEF([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// CSV values may be quoted, holding the delimiter or doubled quotes.
func TestCSVQuotedFields(t *testing.T) {
	def := &logtype.Definition{Name: "c", KeyPattern: "x", Format: "csv", Delimiter: ",", Index: logtype.IndexSpec{Name: "log-c"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	recs := frameAll(t, def, "time,user,query,rows\n2024-01-02T03:04:05Z,alice,\"SELECT a, b FROM t WHERE n = \"\"x\"\"\",3\n2024-01-02T03:04:06Z,bob,plain,1\n")
	if len(recs) != 2 {
		t.Fatalf("%+v", recs)
	}
	f, err := decodeMap(def, recs[0])
	if err != nil || f["query"] != `SELECT a, b FROM t WHERE n = "x"` || f["rows"] != "3" {
		t.Errorf("quoted: %v %v", f, err)
	}
	if f, err := decodeMap(def, recs[1]); err != nil || f["user"] != "bob" {
		t.Errorf("plain: %v %v", f, err)
	}
}

// A Parquet row replayed from a dead letter has only its raw JSON: it
// decodes as the row's fields.
func TestParquetRowWithoutFieldsDecodesItsJSON(t *testing.T) {
	def := &logtype.Definition{Name: "t", KeyPattern: "x", Format: "parquet", Index: logtype.IndexSpec{Name: "log-t"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := decodeMap(def, Record{Num: 3, Raw: []byte(`{"class_uid":4001,"src_endpoint":{"ip":"10.0.0.1"}}`)})
	if err != nil || got["class_uid"] != json.Number("4001") || got["src_endpoint"].(map[string]any)["ip"] != "10.0.0.1" {
		t.Errorf("decoded %v, %v", got, err)
	}
}

// decodeMap is Decode for tests that look at the fields only.
func decodeMap(def *logtype.Definition, rec Record) (map[string]any, error) {
	d, err := Decode(def, rec)
	return d.Fields, err
}
