package cloudtrail_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/cloudtrail"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) {
	golden.Run(t, "cloudtrail", "testdata", func(file string) string {
		return "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/" + file
	})
}
