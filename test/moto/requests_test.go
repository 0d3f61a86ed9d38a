package moto

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// The request log names what AWS bills: S3 request classes from the
// method and path, other services' operations from the target or action.
func TestClassifyRequests(t *testing.T) {
	sign := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=test/20240115/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	for _, c := range []struct {
		method, target, service, url, body string
		want                               Request
	}{
		{"GET", "", "s3", "/logs/AWSLogs/a.json.gz", "", Request{Service: "s3", Op: "GET", Method: "GET", Bucket: "logs", Key: "AWSLogs/a.json.gz"}},
		{"HEAD", "", "s3", "/logs/a", "", Request{Service: "s3", Op: "GET", Method: "HEAD", Bucket: "logs", Key: "a"}},
		{"GET", "", "s3", "/logs?list-type=2&prefix=dead-letter%2F", "", Request{Service: "s3", Op: "LIST", Method: "GET", Bucket: "logs"}},
		{"PUT", "", "s3", "/staging/staging/x/0.ndjson.gz", "12345", Request{Service: "s3", Op: "PUT", Method: "PUT", Bucket: "staging", Key: "staging/x/0.ndjson.gz", Bytes: 5}},
		{"POST", "AmazonSQS.ReceiveMessage", "sqs", "/", "{}", Request{Service: "sqs", Op: "ReceiveMessage", Method: "POST", Bytes: 2}},
		{"POST", "AWSStepFunctions.StartExecution", "states", "/", "{}", Request{Service: "states", Op: "StartExecution", Method: "POST", Bytes: 2}},
	} {
		r := httptest.NewRequest(c.method, c.url, strings.NewReader(c.body))
		r.Header.Set("Authorization", sign(c.service))
		if c.target != "" {
			r.Header.Set("X-Amz-Target", c.target)
		}
		if c.body == "" {
			r.ContentLength = 0
		}
		if got := classify(r); got != c.want {
			t.Errorf("%s %s: %+v, want %+v", c.method, c.url, got, c.want)
		}
	}
}
