package alb_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
)

// TestGolden runs every input in testdata through framing, decoding and
// normalization and compares with the reviewed *.golden.json beside it.
func TestGolden(t *testing.T) {
	golden.Run(t, "alb", "testdata", func(file string) string {
		return "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/15/123456789012_elasticloadbalancing_us-east-1_app.my-loadbalancer.50dc6c495c0c9188_20240115T0000Z_192.0.2.1_" + file + ".log.gz"
	})
}
