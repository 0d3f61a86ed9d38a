// Command index is the ingest state machine's index step (see shared/pipeline).
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
	steps, err := awsenv.Steps(context.Background(), awsenv.Needs{OpenSearch: true})
	if err != nil {
		log.Fatalf("index: configuration: %v", err)
	}
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (any, error) {
		out, err := steps.HandleIndex(ctx, payload)
		return out, pipeline.LambdaError(err)
	})
}
