package cloudfront_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/cloudfront"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{"standard_": "cloudfront-standard", "realtime_": "cloudfront-realtime"} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}
