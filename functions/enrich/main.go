// Command enrich is the ingest state machine's enrich step (see shared/pipeline).
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
	steps, err := awsenv.Steps(context.Background(), awsenv.Needs{GeoIP: true})
	if err != nil {
		log.Fatalf("enrich: configuration: %v", err)
	}
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (any, error) {
		var in pipeline.StepOutput
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		out, err := steps.Enrich(ctx, in)
		return out, pipeline.LambdaError(err)
	})
}
