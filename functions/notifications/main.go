// Command notifications starts an ingest execution for every object that
// an SQS queue announces (a log archive's S3 notifications, a Security
// Lake subscriber's events); the domain code is in shared/notify.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/siemloader/siem/shared/notify"
)

func main() {
	arn := os.Getenv("INGEST_STATE_MACHINE_ARN")
	if arn == "" {
		log.Fatal("notifications: INGEST_STATE_MACHINE_ARN is not set")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("notifications: AWS configuration: %v", err)
	}
	lambda.Start(handler(notify.SFN{Client: sfn.NewFromConfig(cfg), StateMachineArn: arn}))
}

func handler(st notify.Starter) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return notify.Handle(ctx, st, ev), nil
	}
}
