package exclude_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/exclude"
)

func compile(t *testing.T, r exclude.Rules) *exclude.Set {
	t.Helper()
	s, err := exclude.Compile(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The reference's CSV (log_type,field,pattern,pattern_type,comment) and
// the optional action and name columns.
func TestParseCSV(t *testing.T) {
	src := "log_type,field,pattern,pattern_type,comment\n" +
		"cloudtrail,eventName,Describe.*,regex,noisy read-only calls\n" +
		"# a comment line\n" +
		"alb,user_agent,ELB-HealthChecker/2.0,text,\n" +
		"\n"
	p, err := exclude.ParseCSV(strings.NewReader(src), "exclude_log_patterns.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 || p[0].Name != "exclude_log_patterns.csv:2" || p[1].LogType != "alb" || p[1].PatternType != "text" {
		t.Fatalf("parsed %+v", p)
	}
	set := compile(t, exclude.Rules{Patterns: p})
	ct := set.For("cloudtrail")
	if m, ok := ct.Raw(map[string]any{"eventName": "DescribeInstances"}, nil); !ok || m.Rule != "exclude_log_patterns.csv:2" || m.Reason() != "excluded by rule exclude_log_patterns.csv:2" {
		t.Errorf("DescribeInstances: %+v %v", m, ok)
	}
	// The pattern matches the whole value (the reference appends $ and
	// uses re.match).
	if _, ok := ct.Raw(map[string]any{"eventName": "xDescribeInstances"}, nil); ok {
		t.Error("a pattern must match the whole value")
	}
	// text patterns are literal: the dot is not a wildcard.
	alb := set.For("alb")
	if _, ok := alb.Raw(map[string]any{"user_agent": "ELB-HealthChecker/2x0"}, nil); ok {
		t.Error("text pattern matched as a regex")
	}
	if _, ok := alb.Raw(map[string]any{"user_agent": "ELB-HealthChecker/2.0"}, nil); !ok {
		t.Error("text pattern did not match")
	}
	if set.For("vpcflowlogs") != nil {
		t.Error("a type without rules has rules")
	}

	withAction := "name,log_type,field,pattern,action\nreads,cloudtrail,readOnly,true,count\n"
	p, err = exclude.ParseCSV(strings.NewReader(withAction), "x.csv")
	if err != nil || len(p) != 1 || p[0].Action != "count" || p[0].Name != "reads" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := exclude.ParseCSV(strings.NewReader("log_type,pattern\nalb,x\n"), "bad.csv"); err == nil || !strings.Contains(err.Error(), "field column") {
		t.Errorf("missing column: %v", err)
	}
}

func TestRawFieldsNestedListsAndNumbers(t *testing.T) {
	set := compile(t, exclude.Rules{Patterns: []exclude.Pattern{
		{Name: "role", LogType: "cloudtrail", Field: "userIdentity.sessionContext.sessionIssuer.userName", Pattern: "AWSServiceRoleFor.*"},
		{Name: "port", LogType: "vpcflowlogs", Field: "dstport", Pattern: "123"},
		{Name: "tags", LogType: "guardduty", Field: "tags", Pattern: "ignore-me", Action: "count"},
	}})
	var rec map[string]any
	json.Unmarshal([]byte(`{"userIdentity":{"sessionContext":{"sessionIssuer":{"userName":"AWSServiceRoleForConfig"}}}}`), &rec)
	if _, ok := set.For("cloudtrail").Raw(rec, nil); !ok {
		t.Error("nested field did not match")
	}
	if _, ok := set.For("vpcflowlogs").Raw(map[string]any{"dstport": json.Number("123")}, nil); !ok {
		t.Error("number did not match its literal")
	}
	var counted []string
	m, ok := set.For("guardduty").Raw(map[string]any{"tags": []any{"a", "ignore-me"}}, func(r string) { counted = append(counted, r) })
	if ok || len(counted) != 1 || counted[0] != "tags" {
		t.Errorf("COUNT in a list: %+v %v counted %v", m, ok, counted)
	}
}

func TestConditions(t *testing.T) {
	set := compile(t, exclude.Rules{Conditions: []exclude.Condition{
		{Name: "big-flows", LogType: "vpcflowlogs", Action: "COUNT", Expression: "network.bytes > `1000000`"},
		{Name: "reject-ntp", LogType: "vpcflowlogs", Action: "exclude", Expression: "event.outcome == 'failure' && destination.port == `123`"},
		{Name: "off", LogType: "vpcflowlogs", Action: "disable", Expression: "@"},
	}})
	tr := set.For("vpcflowlogs")
	doc := func(s string) map[string]any {
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		d.Decode(&m)
		return m
	}
	var counted []string
	count := func(r string) { counted = append(counted, r) }
	if _, ok := tr.Doc(doc(`{"network":{"bytes":2000000},"event":{"outcome":"success"},"destination":{"port":123}}`), count); ok || len(counted) != 1 {
		t.Errorf("COUNT: excluded %v, counted %v", ok, counted)
	}
	if m, ok := tr.Doc(doc(`{"network":{"bytes":10},"event":{"outcome":"failure"},"destination":{"port":123}}`), count); !ok || m.Rule != "reject-ntp" {
		t.Errorf("EXCLUDE: %+v %v", m, ok)
	}
	if set.Len() != 2 {
		t.Errorf("disabled rule counted: %d rules", set.Len())
	}
}

func TestCompileErrorsNameTheRule(t *testing.T) {
	for want, r := range map[string]exclude.Rules{
		`"x": pattern`:                   {Patterns: []exclude.Pattern{{Name: "x", LogType: "alb", Field: "f", Pattern: "("}}},
		`"y": action`:                    {Patterns: []exclude.Pattern{{Name: "y", LogType: "alb", Field: "f", Pattern: "a", Action: "drop"}}},
		`"z": expression`:                {Conditions: []exclude.Condition{{Name: "z", LogType: "alb", Expression: "a ==="}}},
		`no log type named "albb"`:       {Patterns: []exclude.Pattern{{Name: "w", LogType: "albb", Field: "f", Pattern: "a"}}},
		`"v" defined twice`:              {Patterns: []exclude.Pattern{{Name: "v", LogType: "alb", Field: "f", Pattern: "a"}, {Name: "v", LogType: "alb", Field: "g", Pattern: "a"}}},
		`"alb-pattern-1": field: requir`: {Patterns: []exclude.Pattern{{LogType: "alb", Pattern: "a"}}},
	} {
		_, err := exclude.Compile(r, func(t string) bool { return t == "alb" })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error with %q, got %v", want, err)
		}
	}
}

func TestFromConfig(t *testing.T) {
	src := []byte(`
log_types: []
exclusions:
  patterns:
    - {name: health, log_type: alb, field: user_agent, pattern: 'ELB-HealthChecker/.*'}
  conditions:
    - {name: reads, log_type: cloudtrail, action: count, expression: "event.action == 'GetObject'"}
`)
	r, err := exclude.FromConfig(src)
	if err != nil || len(r.Patterns) != 1 || len(r.Conditions) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := exclude.FromConfig([]byte("exclusions:\n  paterns: []\n")); err == nil {
		t.Error("a misspelt key was accepted")
	}
}
