package route53resolver_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/route53resolver"
)

func TestGolden(t *testing.T) {
	key := logtype.Builtin().Get("route53resolver").SampleKey
	golden.Run(t, "route53resolver", "testdata", func(string) string { return key })
}

func TestDetectedFromItsKey(t *testing.T) {
	d := logtype.Builtin().Get("route53resolver")
	if got := logtype.Builtin().Detect(d.SampleKey); got != d {
		t.Errorf("%s detected as %v", d.SampleKey, got)
	}
}
