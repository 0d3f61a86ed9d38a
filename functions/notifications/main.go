// Command notifications is the dispatcher: it reads the ingest queue (and a
// log archive's or Security Lake's queue) and starts ingest executions,
// small objects grouped into batches; the domain code is in shared/notify.
package main

import (
	"context"
	"log"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/siemloader/siem/shared/emf"
	"github.com/siemloader/siem/shared/notify"
)

func main() {
	arn := os.Getenv("INGEST_STATE_MACHINE_ARN")
	if arn == "" {
		log.Fatal("notifications: INGEST_STATE_MACHINE_ARN is not set")
	}
	b, err := batching(os.Getenv)
	if err != nil {
		log.Fatalf("notifications: %v", err)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("notifications: AWS configuration: %v", err)
	}
	d := notify.Dispatcher{Starter: notify.SFN{Client: sfn.NewFromConfig(cfg), StateMachineArn: arn}, Batching: b, Metrics: emf.Default}
	lambda.Start(handler(d))
}

// batching reads the template's batch parameters (unset: the defaults).
func batching(getenv func(string) string) (notify.Batching, error) {
	var b notify.Batching
	for name, dst := range map[string]*int64{"BATCH_MAX_BYTES": &b.MaxBytes, "BATCH_OBJECT_MAX_BYTES": &b.ObjectMaxBytes} {
		if v := getenv(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return b, &strconv.NumError{Func: name, Num: v, Err: strconv.ErrSyntax}
			}
			*dst = n
		}
	}
	if v := getenv("BATCH_MAX_OBJECTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return b, &strconv.NumError{Func: "BATCH_MAX_OBJECTS", Num: v, Err: strconv.ErrSyntax}
		}
		b.MaxObjects = n
	}
	return b, nil
}

func handler(d notify.Dispatcher) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return d.Handle(ctx, ev), nil
	}
}
