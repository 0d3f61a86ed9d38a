package blob

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Buckets of other accounts are read with their own client (an assumed
// role): by name, or by prefix for Security Lake's generated names.
func TestS3ClientPerBucket(t *testing.T) {
	own, archive, lake := &s3.Client{}, &s3.Client{}, &s3.Client{}
	st := S3{Client: own, Clients: []BucketClient{
		{Bucket: "aws-controltower-logs-111122223333-us-east-1", Client: archive},
		{Bucket: "aws-security-data-lake-*", Client: lake},
	}}
	for bucket, want := range map[string]*s3.Client{
		"siem-logs-123456789012":                                          own,
		"aws-controltower-logs-111122223333-us-east-1":                    archive,
		"aws-controltower-logs-111122223333-us-east-1-other":              own,
		"aws-security-data-lake-us-east-1-abcdefghijklmnopqrstuvwxyz1234": lake,
	} {
		if got := st.client(bucket); got != want {
			t.Errorf("%s: wrong client", bucket)
		}
	}
}
