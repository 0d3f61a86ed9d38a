package awsconfig_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/awsconfig"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{"history_": "config-history", "snapshot_": "config-snapshot", "rules_": "config-rules"} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}
