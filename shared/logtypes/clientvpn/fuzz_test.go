package clientvpn_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
)

// FuzzCWL fuzzes the CloudWatch Logs subscription family: envelope
// framing, control messages, the inner JSON decode and the transform.
func FuzzCWL(f *testing.F) {
	golden.Fuzz(f, "clientvpn", "AWSLogs/123456789012/ClientVPN/us-east-1/x", "testdata/*.json")
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"{}"}]}{"messageType":"CONTROL_MESSAGE","logEvents":[{}]}`))
}
