package nlb_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/nlb"
)

func TestGolden(t *testing.T) {
	key := logtype.Builtin().Get("nlb").SampleKey
	golden.Run(t, "nlb", "testdata", func(string) string { return key })
}

func TestDetectedFromItsKey(t *testing.T) {
	d := logtype.Builtin().Get("nlb")
	if got := logtype.Builtin().Detect(d.SampleKey); got != d {
		t.Errorf("%s detected as %v", d.SampleKey, got)
	}
}
