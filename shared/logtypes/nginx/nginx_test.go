package nginx_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/nginx"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{"access_": "nginx-access", "error_": "nginx-error"} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}

func FuzzNginxError(f *testing.F) {
	golden.Fuzz(f, "nginx-error", "AWSLogs/x/nginx-error/y", "testdata/error_*")
}
