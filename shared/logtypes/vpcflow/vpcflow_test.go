package vpcflow_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/vpcflow"
)

func TestGolden(t *testing.T) {
	golden.Run(t, "vpcflowlogs", "testdata", func(file string) string {
		return "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/" + file
	})
}
