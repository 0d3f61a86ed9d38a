package logtype_test

import (
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
)

func TestDetect(t *testing.T) {
	r := logtype.Builtin()
	for key, want := range map[string]string{
		"AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/x.json.gz":                                                                                         "cloudtrail",
		"AWSLogs/o-abc/123456789012/CloudTrail-Insight/us-east-1/2024/01/15/x.json.gz":                                                                           "cloudtrail",
		"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/x.log.gz":                                                                                         "vpcflowlogs",
		"AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/15/123456789012_elasticloadbalancing_us-east-1_app.a.b_20240115T0000Z_192.0.2.1_abc.log.gz": "alb",
		"AWSLogs/123456789012/CloudTrail/":                                                                                                                       "",
		"something/else.txt":                                                                                                                                     "",
	} {
		got := ""
		if d := r.Detect(key); d != nil {
			got = d.Name
		}
		if got != want {
			t.Errorf("%s: detected %q, want %q", key, got, want)
		}
	}
}

func TestValidateNamesEntryAndField(t *testing.T) {
	base := *logtype.Builtin().Get("vpcflowlogs")
	cases := map[string]func(d *logtype.Definition){
		"field s3_key":         func(d *logtype.Definition) { d.KeyPattern = "(" },
		"field format":         func(d *logtype.Definition) { d.Format = "xml2" },
		"field index.rotation": func(d *logtype.Definition) { d.Index.Rotation = "hourly" },
		"field index.tz":       func(d *logtype.Definition) { d.Index.TZ = "Tokyo" },
		"field transform":      func(d *logtype.Definition) { d.Transform = "nope" },
		"field index.name":     func(d *logtype.Definition) { d.Index.Name = "" },
	}
	for want, mutate := range cases {
		d := base
		mutate(&d)
		err := d.Validate()
		if err == nil || !strings.Contains(err.Error(), `"vpcflowlogs"`) || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error naming vpcflowlogs and %s, got %v", want, err)
		}
	}
}

func TestWithIndexSettings(t *testing.T) {
	r, err := logtype.Builtin().WithIndexSettings("daily", "+09:00")
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Get("cloudtrail"); d.Index.Rotation != "daily" || d.Index.TZ != "+09:00" {
		t.Errorf("%+v", d.Index)
	}
	if logtype.Builtin().Get("cloudtrail").Index.Rotation != "monthly" {
		t.Error("built-ins must not change")
	}
	if _, err := logtype.Builtin().WithIndexSettings("hourly", ""); err == nil {
		t.Error("bad rotation accepted")
	}
}

func TestRouteCWL(t *testing.T) {
	reg := logtype.Builtin()
	for group, want := range map[string]string{
		"/aws/rds/cluster/aurora-prod/slowquery":         "rds-mysql-slowquery",
		"/aws/rds/instance/db1/error":                    "rds-mysql-error",
		"/aws/rds/cluster/aurora-prod/audit":             "rds-mysql-audit",
		"/aws/rds/instance/pg/postgresql":                "rds-postgresql",
		"/aws/OpenSearchService/domains/siem/audit-logs": "opensearch-audit",
		"/aws/lambda/order-api":                          "",
	} {
		got := ""
		if d := reg.RouteCWL(group, "s"); d != nil {
			got = d.Name
		}
		if got != want {
			t.Errorf("RouteCWL(%s) = %q, want %q", group, got, want)
		}
	}
}
