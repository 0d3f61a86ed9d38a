package cloudfront_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/cloudfront"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) {
	key := logtype.Builtin().Get("cloudfront-standard").SampleKey
	golden.Run(t, "cloudfront-standard", "testdata", func(string) string { return key })
}

func TestDetectedFromItsKey(t *testing.T) {
	d := logtype.Builtin().Get("cloudfront-standard")
	if got := logtype.Builtin().Detect(d.SampleKey); got != d {
		t.Errorf("%s detected as %v", d.SampleKey, got)
	}
}
