package vpcflow_test

import (
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/vpcflow"
)

func TestGolden(t *testing.T) {
	golden.Run(t, "vpcflowlogs", "testdata", func(file string) string {
		if strings.HasSuffix(file, ".parquet") {
			// Parquet deliveries may use Hive-compatible prefixes.
			return "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=ap-southeast-2/year=2021/month=03/day=26/hour=03/" + file
		}
		return "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/" + file
	})
}
