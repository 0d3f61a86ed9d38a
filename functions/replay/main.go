// Command replay re-sends dead letters from the staging bucket once their
// cause is fixed; start it from the console (Test event
// {"prefix": "dead-letter/"}). The work is in shared/replay.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/replay"
)

// Request names the dead letters to replay.
type Request struct {
	// Prefix in the staging bucket: dead-letter/ (all), dead-letter/index/,
	// dead-letter/parse/<bucket>/<key>/ ...
	Prefix string `json:"prefix"`
	DryRun bool   `json:"dry_run"`
}

func main() {
	steps, err := awsenv.Steps(context.Background(), awsenv.Needs{OpenSearch: true, GeoIP: true})
	if err != nil {
		log.Fatalf("replay: configuration: %v", err)
	}
	lambda.Start(handler(steps))
}

func handler(steps *pipeline.Steps) func(context.Context, Request) (replay.Report, error) {
	cfg := steps.Config()
	return func(ctx context.Context, req Request) (replay.Report, error) {
		if req.Prefix == "" {
			req.Prefix = "dead-letter/"
		}
		r := &replay.Replayer{Store: cfg.Store, Bucket: cfg.StagingBucket, Registry: cfg.Registry, Indexer: cfg.Indexer, Enrichers: cfg.Enrichers, Now: cfg.Now, DryRun: req.DryRun}
		return r.Run(ctx, req.Prefix)
	}
}
