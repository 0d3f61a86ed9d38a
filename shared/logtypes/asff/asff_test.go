package asff_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/asff"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "securityhub") }

func FuzzSecurityHub(f *testing.F) {
	golden.Fuzz(f, "securityhub", "AWSLogs/123456789012/SecurityHub/us-east-1/x.gz", "testdata/*.json")
}
