// Command backfill is the backfill state machine's List step: one page of
// a bucket/prefix listing into a manifest of batches. The domain code is
// in shared/backfill; this file only wires configuration to it.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/backfill"
)

func main() {
	step, err := awsenv.Backfill(context.Background())
	if err != nil {
		log.Fatalf("backfill: configuration: %v", err)
	}
	lambda.Start(handler(step))
}

func handler(step backfill.Step) func(context.Context, backfill.State) (backfill.State, error) {
	return step.Handle
}
