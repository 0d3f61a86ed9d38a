package cloudhsm_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/cloudhsm"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "cloudhsm") }

func FuzzCloudHSM(f *testing.F) {
	golden.Fuzz(f, "cloudhsm", "AWSLogs/1/CloudHSM/x", "testdata/*")
}
