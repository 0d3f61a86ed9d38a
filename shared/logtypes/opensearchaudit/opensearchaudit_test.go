package opensearchaudit_test

import (
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/logtypes/opensearchaudit"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "opensearch-audit") }

func TestTransform(t *testing.T) {
	cases := []struct {
		category, outcome string
		auth              bool
	}{
		{"AUTHENTICATED", "success", true},
		{"FAILED_LOGIN", "failure", true},
		{"GRANTED_PRIVILEGES", "success", false},
		{"MISSING_PRIVILEGES", "failure", false},
		{"SSL_EXCEPTION", "unknown", false},
	}
	for _, c := range cases {
		d := map[string]any{"audit_category": c.category, "event": map[string]any{"category": []any{"database"}}, "@message": "{}"}
		if err := opensearchaudit.Transform(d, &logtype.Result{}); err != nil {
			t.Fatal(err)
		}
		ev := d["event"].(map[string]any)
		cats := ev["category"].([]any)
		if ev["outcome"] != c.outcome || (len(cats) == 2) != c.auth || cats[0] != "database" {
			t.Errorf("%s: %v", c.category, ev)
		}
		if d["rule"].(map[string]any)["name"] != "ParsingError" {
			t.Errorf("%s: rule.name %v", c.category, d["rule"])
		}
	}
	d := map[string]any{"@message": strings.Repeat("x", opensearchaudit.AuditMessageLimit), "rule": map[string]any{"name": "GET"}}
	opensearchaudit.Transform(d, &logtype.Result{})
	if d["error"] == nil || d["rule"].(map[string]any)["name"] != "GET" {
		t.Errorf("10,000-character message: %v", d)
	}
}
