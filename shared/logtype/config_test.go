package logtype_test

import (
	"os"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func loadExample(t *testing.T) *logtype.Registry {
	t.Helper()
	f, err := os.Open("../../docs/custom-log-types.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reg, err := logtype.LoadConfig(logtype.Builtin(), f)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// The documented example loads and parses its sample logs.
func TestExampleConfig(t *testing.T) {
	reg := loadExample(t)
	if d := reg.Detect("logs/myapp/audit/2024/03/01/a.json"); d == nil || d.Name != "myapp-audit" {
		t.Fatalf("custom type not detected: %v", d)
	}
	if d := reg.Get("vpcflowlogs"); d.Index.Rotation != "daily" || d.Index.Name != "log-aws-vpcflowlogs" || d.Format != "csv" || len(d.ECS) == 0 {
		t.Errorf("override changed more than asked: %+v", d.Index)
	}
	if d := reg.Detect("AWSLogs/123456789012/CloudTrail/us-east-1/x.json"); d == nil || d.Name != "cloudtrail" {
		t.Errorf("built-ins still detected first: %v", d)
	}

	f, _ := os.Open("testdata/custom/audit.json")
	defer f.Close()
	res, err := golden.Process(reg.Get("myapp-audit"), "logs/myapp/audit/a.json", f)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Documents) != 2 || len(res.DeadLetters) != 0 {
		t.Fatalf("%+v", res)
	}
	d0, d1 := res.Documents[0], res.Documents[1]
	if d0.Index != "log-myapp-audit-2024-03-01" || d0.ID != "r-1" || d0.Source["user"].(map[string]any)["name"] != "alice" {
		t.Errorf("doc 0: %s %s %v", d0.Index, d0.ID, d0.Source["user"])
	}
	if d1.Source["@timestamp"] != "2024-03-01T10:01:00Z" || d1.Source["user"].(map[string]any)["name"] != "u-42" {
		t.Errorf("doc 1: %v %v", d1.Source["@timestamp"], d1.Source["user"])
	}
	rel := d1.Source["related"].(map[string]any)["ip"].([]any)
	if len(rel) != 2 {
		t.Errorf("related.ip %v", rel)
	}

	g, _ := os.Open("testdata/custom/access.log")
	defer g.Close()
	res, err = golden.Process(reg.Get("myapp-access"), "logs/myapp/access/a.log", g)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Documents) != 2 || len(res.DeadLetters) != 1 || res.DeadLetters[0].Record != 3 {
		t.Fatalf("%+v", res)
	}
	http := res.Documents[1].Source["http"].(map[string]any)
	if http["response"].(map[string]any)["status_code"] != float64(500) {
		t.Errorf("http %v", http)
	}

	c, _ := os.Open("testdata/custom/cwl.json")
	defer c.Close()
	res, err = golden.Process(reg.Get("myapp-access-cwl"), "AWSLogs/123456789012/myapp/cwl/2024/03/01/x.gz", c)
	if err != nil {
		t.Fatal(err)
	}
	if res.RecordsIn != 4 || len(res.Documents) != 2 || len(res.DeadLetters) != 1 || len(res.Skipped) != 1 || res.DeadLetters[0].Record != 4 {
		t.Fatalf("%+v", res)
	}
	d := res.Documents[1].Source
	if d["@timestamp"] != "2024-03-01T10:01:01.5Z" || d["@log_group"] != "/myapp/access" || d["@log_stream"] != "i-0123456789abcdef0" || d["@message"] != "203.0.113.7 POST /login 401" {
		t.Errorf("cwl doc: %v", d)
	}
}

func TestBadConfigNamesEntryAndField(t *testing.T) {
	cases := map[string]string{
		"log_types:\n  - name: x\n    s3_key: 'x/'\n    format: json\n    index: {name: log-x}\n    idnex: {name: y}\n": "field idnex not found",
		"log_types:\n  - name: x\n    s3_key: '(x'\n    format: json\n    index: {name: log-x}\n":                       `"x": field s3_key`,
		"log_types:\n  - name: x\n    s3_key: 'x/'\n    format: text\n    index: {name: log-x}\n":                       `"x": field pattern`,
		"log_types:\n  - name: x\n    s3_key: 'x/'\n    format: json\n":                                                 `"x": field index.name`,
		"log_types:\n  - s3_key: 'x/'\n":                                                                       "entry 1 (line 2): field name",
		"log_types:\n  - name: cloudtrail\n    index: {rotation: hourly}\n":                                    `"cloudtrail": field index.rotation`,
		"log_types:\n  - name: x\n    s3_key: 'x/'\n    format: json\n    index: {name: log-x}\n  - name: x\n": "defined twice",
	}
	for cfg, want := range cases {
		_, err := logtype.LoadConfig(logtype.Builtin(), strings.NewReader(cfg))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config:\n%s\nwant error containing %q, got %v", cfg, want, err)
		}
	}
}
