// Command indexmetrics is the hourly index metrics exporter: the
// cluster's index and shard statistics into the log bucket, which the
// loader reads back as the index-metrics log type. The domain code is in
// shared/osmetrics; this file only wires configuration to it.
package main

import (
	"context"
	"log"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/osmetrics"
)

func main() {
	e, err := awsenv.IndexMetrics(context.Background())
	if err != nil {
		log.Fatalf("indexmetrics: configuration: %v", err)
	}
	lambda.Start(handler(e))
}

// handler ignores the schedule's event: every run exports now.
func handler(e *osmetrics.Exporter) func(context.Context) (osmetrics.Result, error) {
	return func(ctx context.Context) (osmetrics.Result, error) {
		if e == nil {
			slog.Warn("no OpenSearch endpoint: nothing exported")
			return osmetrics.Result{}, nil
		}
		res, err := e.Run(ctx)
		if err != nil {
			slog.Error("index metrics export failed", "error", err.Error())
			return res, err
		}
		slog.Info("index metrics exported", "bucket", res.Bucket, "key", res.Key, "indices", res.Indices, "shards", res.Shards)
		return res, nil
	}
}
