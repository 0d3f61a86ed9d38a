package rds_test

import (
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
