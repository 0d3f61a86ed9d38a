package vpcflow_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
)

func FuzzVPCFlow(f *testing.F) {
	golden.Fuzz(f, "vpcflowlogs", "AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log", "testdata/*.log")
}
