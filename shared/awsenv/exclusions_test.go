package awsenv

import (
	"context"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
)

// The CSV is read from the geo bucket at cold start; a missing file is
// no rules, a bad one stops the function naming the rule.
func TestExclusionsFromGeoBucket(t *testing.T) {
	ctx := context.Background()
	reg := logtype.Builtin()
	store := blobtest.NewMemory()
	t.Setenv("GEO_BUCKET", "geo")
	set, err := exclusions(ctx, store, nil, reg)
	if err != nil || set.Len() != 0 {
		t.Fatalf("no file: %v, %d rules", err, set.Len())
	}
	store.Put(ctx, "geo", "exclude_log_patterns.csv", []byte("log_type,field,pattern,pattern_type,comment\nalb,user_agent,ELB-HealthChecker/2.0,text,\n"))
	config := []byte("exclusions:\n  conditions:\n    - {name: c, log_type: cloudtrail, expression: \"event.action == 'X'\"}\n")
	set, err = exclusions(ctx, store, config, reg)
	if err != nil || set.Len() != 2 || set.For("alb") == nil {
		t.Fatalf("%v, %v", err, set.Names())
	}
	store.Put(ctx, "geo", "exclude_log_patterns.csv", []byte("log_type,field,pattern\nnosuch,f,x\n"))
	if _, err := exclusions(ctx, store, nil, reg); err == nil || !strings.Contains(err.Error(), "exclude_log_patterns.csv:2") {
		t.Errorf("bad rule: %v", err)
	}
}
