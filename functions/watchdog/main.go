// Command watchdog runs hourly: it reports log types that loaded before but
// have been silent for NO_DATA_HOURS (an EMF metric the no-data alarm
// watches, and one alert naming the types that just went quiet). The
// domain code is in shared/watchdog.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/siemloader/siem/shared/emf"
	"github.com/siemloader/siem/shared/watchdog"
)

func main() {
	hours, err := strconv.Atoi(os.Getenv("NO_DATA_HOURS"))
	if err != nil || hours < 1 {
		log.Fatalf("watchdog: NO_DATA_HOURS must be a positive number of hours, got %q", os.Getenv("NO_DATA_HOURS"))
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("watchdog: AWS configuration: %v", err)
	}
	c := watchdog.Config{Namespace: emf.Namespace, Metric: "Indexed", Function: "load", Silence: time.Duration(hours) * time.Hour, Every: time.Hour}
	var publish func(ctx context.Context, subject, msg string) error
	if topic := os.Getenv("ALERT_TOPIC_ARN"); topic != "" {
		client := sns.NewFromConfig(cfg)
		publish = func(ctx context.Context, subject, msg string) error {
			_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String(subject), Message: aws.String(msg)})
			return err
		}
	}
	lambda.Start(handler(cloudwatch.NewFromConfig(cfg), c, emf.Default, publish))
}

func handler(api watchdog.MetricsAPI, c watchdog.Config, metrics *emf.Writer, publish func(context.Context, string, string) error) func(context.Context, json.RawMessage) (watchdog.Report, error) {
	return func(ctx context.Context, _ json.RawMessage) (watchdog.Report, error) {
		rep, err := watchdog.Check(ctx, api, c, time.Now())
		if err != nil {
			return rep, err
		}
		metrics.Write(emf.Line{Dimensions: map[string]string{"Function": "watchdog"}, Metrics: []emf.Metric{
			{Name: "SilentLogTypes", Value: float64(len(rep.Silent)), Unit: emf.Count},
			{Name: "WatchedLogTypes", Value: float64(rep.Checked), Unit: emf.Count}}})
		var fresh []string
		for _, s := range rep.Silent {
			slog.WarnContext(ctx, "log type silent", "log_type", s.LogType, "last_seen", s.LastSeen, "new", s.New)
			if s.New {
				fresh = append(fresh, fmt.Sprintf("%s (last records in the hour from %s)", s.LogType, s.LastSeen.UTC().Format(time.RFC3339)))
			}
		}
		if len(fresh) > 0 && publish != nil {
			msg := fmt.Sprintf("These log types loaded records before and have loaded none for %s:\n\n- %s\n\n"+
				"Check that the source still delivers to the log bucket (trail, flow log, logging configuration, delivery role), then the ingest queue and dead letters. README: Operating it.",
				c.Silence, strings.Join(fresh, "\n- "))
			if err := publish(ctx, "SIEM loader: log types silent", msg); err != nil {
				slog.ErrorContext(ctx, "alert not published", "error", err.Error())
			}
		}
		return rep, nil
	}
}
