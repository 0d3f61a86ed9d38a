package notify

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// SFN starts executions of one state machine.
type SFN struct {
	Client          *sfn.Client
	StateMachineArn string
}

func (s SFN) Start(ctx context.Context, name, input string) error {
	_, err := s.Client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &s.StateMachineArn, Name: &name, Input: &input})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return nil // the same notification, delivered again
	}
	return err
}
