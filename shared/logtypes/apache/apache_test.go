package apache_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/apache"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{"access_": "apache-access", "error_": "apache-error"} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}

func FuzzApacheAccess(f *testing.F) {
	golden.Fuzz(f, "apache-access", "AWSLogs/x/apache-access/y", "testdata/access_*")
}
