package awsenv

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/osmetrics"
)

// IndexMetrics configures the index metrics exporter: the OpenSearch
// connection as the load function has it, and
//
//	LOG_BUCKET        where the metrics object goes (required)
//	ACCOUNT_ID        the account of the key (AWSLogs/<account>/...)
//	COLLECTION_NAME   an OpenSearch Serverless collection's name (the
//	                  endpoint is then read as a collection's)
//
// With no endpoint configured it returns nil: there is nothing to export.
func IndexMetrics(ctx context.Context) (*osmetrics.Exporter, error) {
	setupProcess()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client, err := openSearch(ctx, awsCfg)
	if err != nil || client == nil {
		return nil, err
	}
	e := &osmetrics.Exporter{
		Cluster:    client,
		Store:      blob.S3{Client: s3Client(awsCfg)},
		Bucket:     os.Getenv("LOG_BUCKET"),
		Account:    os.Getenv("ACCOUNT_ID"),
		Region:     awsCfg.Region,
		Collection: os.Getenv("COLLECTION_NAME"),
		Endpoint:   endpointOf("OPENSEARCH_ENDPOINT"),
	}
	e.Serverless = openSearchService(e.Endpoint) == "aoss"
	if e.Bucket == "" || e.Account == "" {
		return nil, fmt.Errorf("LOG_BUCKET and ACCOUNT_ID are required")
	}
	return e, nil
}
