package cloudtrail_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
)

func FuzzCloudTrail(f *testing.F) {
	golden.Fuzz(f, "cloudtrail", "AWSLogs/123456789012/CloudTrail/us-east-1/x.json", "testdata/*.json")
}
