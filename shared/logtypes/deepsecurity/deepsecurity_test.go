package deepsecurity_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/deepsecurity"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "deepsecurity") }

func FuzzCEF(f *testing.F) {
	golden.Fuzz(f, "deepsecurity", "AWSLogs/123456789012/DeepSecurity/ds_agent/x.gz", "testdata/*.log")
}
