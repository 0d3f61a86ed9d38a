// Command configure is the stack's custom resource that prepares the
// OpenSearch cluster on every deploy: index templates with the ECS
// mappings, ISM rollover and write aliases for auto rotation (the plan is
// in shared/ostemplate), then the Dashboards saved objects
// (shared/dashboards, imported with overwrite). Running it again changes
// nothing.
package main

import (
	"context"
	"log"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/dashboards"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/ostemplate"
)

func main() {
	c, err := awsenv.Configure(context.Background())
	if err != nil {
		log.Fatalf("configure: configuration: %v", err)
	}
	imp, err := awsenv.DashboardsImporter(context.Background(), c)
	if err != nil {
		log.Fatalf("configure: dashboards: %v", err)
	}
	lambda.Start(cfn.LambdaWrap(handler(c.Registry, c.Options, doerOrNil(c), imp)))
}

func doerOrNil(c *awsenv.Configurator) ostemplate.Doer {
	if c.Client == nil {
		return nil
	}
	return c.Client
}

// physicalID names the configuration; it never changes, so an update is
// an update, not a replacement.
const physicalID = "siem-loader-opensearch-config"

// How long the configurator waits for the cluster (its timeout is 300 s).
var readyTimeout, readyEvery = 3 * time.Minute, 10 * time.Second

func handler(reg *logtype.Registry, opts ostemplate.Options, do ostemplate.Doer, imp *dashboards.Importer) cfn.CustomResourceFunction {
	return func(ctx context.Context, ev cfn.Event) (string, map[string]any, error) {
		if ev.RequestType == cfn.RequestDelete {
			// Templates and data outlive the stack on purpose.
			return physicalID, nil, nil
		}
		if do == nil {
			slog.Warn("no OPENSEARCH_ENDPOINT: nothing configured")
			return physicalID, map[string]any{"Requests": 0}, nil
		}
		if opts.Service != "aoss" {
			// A domain the stack has just created may not answer yet.
			if err := ostemplate.WaitReady(ctx, do, readyTimeout, readyEvery); err != nil {
				return physicalID, nil, err
			}
		}
		calls, err := ostemplate.Plan(reg, opts)
		if err != nil {
			return physicalID, nil, err
		}
		if err := ostemplate.Apply(ctx, do, calls); err != nil {
			return physicalID, nil, err
		}
		slog.Info("OpenSearch configured", "requests", len(calls))
		objects, err := imp.Deploy(ctx, reg)
		if err != nil {
			return physicalID, nil, err
		}
		return physicalID, map[string]any{"Requests": len(calls), "DashboardObjects": objects}, nil
	}
}
