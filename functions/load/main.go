// Command load is the ingest state machine's load step (parse, enrich and
// bulk-index a chunk or a batch of small objects in one pass); the domain code is
// in shared/pipeline, this file only wires configuration to it.
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
	steps, err := awsenv.Steps(context.Background(), awsenv.Needs{OpenSearch: true, GeoIP: true})
	if err != nil {
		log.Fatalf("load: configuration: %v", err)
	}
	lambda.Start(handler(steps))
}

func handler(steps *pipeline.Steps) func(context.Context, json.RawMessage) (json.RawMessage, error) {
	return pipeline.Handler(steps, "load")
}
