// Command split is the ingest state machine's split step (see shared/pipeline).
package main

import (
	"context"
	"encoding/json"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/pipeline"
)

func main() {
	steps, err := awsenv.Steps(context.Background(), awsenv.Needs{})
	if err != nil {
		log.Fatalf("split: configuration: %v", err)
	}
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (any, error) {
		var in pipeline.SplitInput
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		out, err := steps.Split(ctx, in)
		return out, pipeline.LambdaError(err)
	})
}
