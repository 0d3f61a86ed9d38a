package clb_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/clb"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) {
	key := logtype.Builtin().Get("clb").SampleKey
	golden.Run(t, "clb", "testdata", func(string) string { return key })
}

func TestDetectedFromItsKey(t *testing.T) {
	d := logtype.Builtin().Get("clb")
	if got := logtype.Builtin().Detect(d.SampleKey); got != d {
		t.Errorf("%s detected as %v", d.SampleKey, got)
	}
}
