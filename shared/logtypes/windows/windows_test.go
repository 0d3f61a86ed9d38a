package windows_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/windows"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{"windows-event_": "windows-event", "directory-service_": "directory-service", "fsx-win_": "fsx-win"} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}

func FuzzWinEvtXML(f *testing.F) {
	golden.Fuzz(f, "fsx-win", "AWSLogs/1/FSx/aws-fsx-audit/x", "testdata/fsx-win_*")
}
