package networkfirewall_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/networkfirewall"
)

func TestGolden(t *testing.T) {
	key := logtype.Builtin().Get("networkfirewall").SampleKey
	golden.Run(t, "networkfirewall", "testdata", func(string) string { return key })
}

func TestDetectedFromItsKey(t *testing.T) {
	d := logtype.Builtin().Get("networkfirewall")
	if got := logtype.Builtin().Detect(d.SampleKey); got != d {
		t.Errorf("%s detected as %v", d.SampleKey, got)
	}
}
