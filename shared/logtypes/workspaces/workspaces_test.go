package workspaces_test

import (
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/workspaces"
)

func TestGoldenEvents(t *testing.T) {
	golden.RunMatching(t, "workspaces-event", "testdata", "event_", func(string) string {
		return logtype.Builtin().Get("workspaces-event").SampleKey
	})
}

func TestGoldenInventory(t *testing.T) {
	golden.RunMatching(t, "workspaces-inventory", "testdata", "inventory_", func(string) string {
		return logtype.Builtin().Get("workspaces-inventory").SampleKey
	})
}

func TestDetectedFromTheirKeys(t *testing.T) {
	for _, name := range []string{"workspaces-event", "workspaces-inventory"} {
		d := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(d.SampleKey); got != d || !strings.HasPrefix(got.Name, "workspaces") {
			t.Errorf("%s detected as %v", d.SampleKey, got)
		}
	}
}
