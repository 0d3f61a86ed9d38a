package rds_test

import (
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/rds"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{
		"postgresql_": "rds-postgresql", "mysql-audit_": "rds-mysql-audit", "mysql-general_": "rds-mysql-general",
		"mysql-error_": "rds-mysql-error", "mysql-slowquery_": "rds-mysql-slowquery",
	} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}

func FuzzPostgreSQL(f *testing.F) {
	golden.Fuzz(f, "rds-postgresql", "AWSLogs/1/RDS/PostgreSQL/x", "testdata/postgresql_*")
}

// One Firehose object mixing a cluster's log groups: each envelope is
// read as the type its log group names, whatever type the object was
// given (detected from the key, or forced as with --type); a group no
// type claims falls back to the object's type and its dead letter says so.
func TestMixedLogGroupsRouteByGroup(t *testing.T) {
	for _, forced := range []string{"rds-mysql-slowquery", "rds-mysql-error", "rds-mysql-audit"} {
		f, err := os.Open("testdata/mysql-slowquery_aurora-mixed_cwl.json")
		if err != nil {
			t.Fatal(err)
		}
		def := logtype.Builtin().Get(forced)
		res, err := golden.Process(def, "firehose/2024/03/04/05/aurora-prod-1", f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, d := range res.Documents {
			got[d.Source["@log_type"].(string)]++
		}
		want := map[string]int{"rds-mysql-slowquery": 2, "rds-mysql-error": 2, "rds-mysql-audit": 2}
		if !maps.Equal(got, want) || res.RecordsIn != 7 {
			t.Errorf("as %s: %d records, documents by type %v, want %v", forced, res.RecordsIn, got, want)
		}
		if len(res.DeadLetters) != 1 || !strings.Contains(res.DeadLetters[0].Reason, "/aws/lambda/order-api matches no log type") {
			t.Errorf("as %s: dead letters %+v, want the Lambda event with the reason", forced, res.DeadLetters)
		}
	}
}
