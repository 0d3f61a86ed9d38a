package linux_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/linux"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{"secure_": "linux-secure", "syslog_": "linux-os-syslog"} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}

func FuzzSyslog(f *testing.F) {
	golden.Fuzz(f, "linux-secure", "AWSLogs/123456789012/EC2/Linux/Secure/us-east-1/2025/01/01/x", "testdata/*")
}
