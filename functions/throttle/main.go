// Command throttle is the loader's pause switch: {"action": "pause" |
// "resume" | "status"} from an operator, or the free-storage alarm's state
// changes (the loader stopper). The domain code is in shared/throttle.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/siemloader/siem/shared/throttle"
)

func main() {
	sw, topic, err := fromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("throttle: %v", err)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("throttle: AWS configuration: %v", err)
	}
	sw.Lambda = awslambda.NewFromConfig(cfg)
	var n throttle.Notifier
	if topic != "" {
		n = topicNotifier{client: sns.NewFromConfig(cfg), topic: topic}
	}
	lambda.Start(handler(sw, n))
}

// fromEnv reads the template's wiring: DISPATCHER_FUNCTION, LOAD_FUNCTION,
// LOAD_CONCURRENCY and, optionally, ALERT_TOPIC_ARN.
func fromEnv(getenv func(string) string) (throttle.Switch, string, error) {
	sw := throttle.Switch{Dispatcher: getenv("DISPATCHER_FUNCTION"), Loader: getenv("LOAD_FUNCTION")}
	if sw.Dispatcher == "" || sw.Loader == "" {
		return sw, "", errAt("DISPATCHER_FUNCTION and LOAD_FUNCTION must be set")
	}
	n, err := strconv.Atoi(getenv("LOAD_CONCURRENCY"))
	if err != nil || n < 1 {
		return sw, "", errAt("LOAD_CONCURRENCY must be a positive number, got " + strconv.Quote(getenv("LOAD_CONCURRENCY")))
	}
	sw.Concurrency = int32(n)
	return sw, getenv("ALERT_TOPIC_ARN"), nil
}

type errAt string

func (e errAt) Error() string { return string(e) }

type topicNotifier struct {
	client *sns.Client
	topic  string
}

func (t topicNotifier) Notify(ctx context.Context, subject, message string) error {
	if len(subject) > 100 { // SNS subject limit
		subject = subject[:100]
	}
	_, err := t.client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(t.topic), Subject: aws.String(subject), Message: aws.String(message)})
	return err
}

func handler(sw throttle.Switch, n throttle.Notifier) func(context.Context, json.RawMessage) (throttle.Result, error) {
	return func(ctx context.Context, payload json.RawMessage) (throttle.Result, error) {
		return throttle.Handle(ctx, sw, n, payload)
	}
}
