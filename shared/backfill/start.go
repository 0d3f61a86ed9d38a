package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// SFN is the part of the Step Functions client `siem backfill` uses.
type SFN interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// ExecutionName is a default name for a backfill execution: the prefix
// and the time, so two runs over one prefix are told apart and a run is
// found by its prefix in the console.
func ExecutionName(r Request, now time.Time) string {
	const max = 80
	clean := make([]byte, 0, len(r.Bucket)+len(r.Prefix))
	for _, c := range []byte(r.Bucket + "-" + r.Prefix) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			clean = append(clean, c)
		default:
			clean = append(clean, '_')
		}
	}
	suffix := now.UTC().Format("20060102T150405Z")
	head := "backfill-" + string(clean)
	if len(head)+1+len(suffix) > max {
		head = head[:max-1-len(suffix)]
	}
	return head + "-" + suffix
}

// Start starts a backfill execution of the state machine arn.
func Start(ctx context.Context, c SFN, arn, name string, r Request) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	in, _ := json.Marshal(r)
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(string(in))})
	if err != nil {
		return "", fmt.Errorf("start backfill %s: %w", name, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// Wait polls the execution until it ends and returns its final state
// (the totals), or its error.
func Wait(ctx context.Context, c SFN, arn string, every time.Duration) (*State, types.ExecutionStatus, error) {
	for {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return nil, "", err
		}
		switch d.Status {
		case types.ExecutionStatusRunning, types.ExecutionStatusPendingRedrive:
		case types.ExecutionStatusSucceeded:
			var st State
			if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &st); err != nil {
				return nil, d.Status, fmt.Errorf("backfill output: %w", err)
			}
			return &st, d.Status, nil
		default:
			return nil, d.Status, fmt.Errorf("backfill %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-time.After(every):
		}
	}
}
