package backfill

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

type fakeSFN struct {
	started  *sfn.StartExecutionInput
	describe []types.ExecutionStatus
}

func (f *fakeSFN) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.started = in
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:backfill:" + aws.ToString(in.Name))}, nil
}

func (f *fakeSFN) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	s := f.describe[0]
	f.describe = f.describe[1:]
	out := &sfn.DescribeExecutionOutput{Status: s}
	if s == types.ExecutionStatusSucceeded {
		out.Output = aws.String(`{"finished":true,"totals":{"listed":3,"loaded":2,"counts":{"indexed":7}}}`)
	}
	return out, nil
}

// siem backfill's start: the request as the machine's input, under the
// given name; then the totals once it succeeds.
func TestStartAndWait(t *testing.T) {
	f := &fakeSFN{describe: []types.ExecutionStatus{types.ExecutionStatusRunning, types.ExecutionStatusSucceeded}}
	req := Request{Bucket: "logs", Prefix: "AWSLogs/", Since: "2024-01-01", LogType: "cloudtrail"}
	arn, err := Start(context.Background(), f, "arn:sm", "bf-x", req)
	if err != nil {
		t.Fatal(err)
	}
	var got Request
	json.Unmarshal([]byte(aws.ToString(f.started.Input)), &got)
	if got != req || aws.ToString(f.started.Name) != "bf-x" || aws.ToString(f.started.StateMachineArn) != "arn:sm" {
		t.Errorf("started %+v with %+v", f.started, got)
	}
	st, status, err := Wait(context.Background(), f, arn, time.Millisecond)
	if err != nil || status != types.ExecutionStatusSucceeded || st.Totals.Loaded != 2 || st.Totals.Counts.Indexed != 7 {
		t.Errorf("wait: %+v %s %v", st, status, err)
	}
	if _, err := Start(context.Background(), f, "arn:sm", "n", Request{}); err == nil {
		t.Error("a request without a bucket started")
	}
}
