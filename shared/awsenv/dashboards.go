package awsenv

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/siemloader/siem/shared/dashboards"
)

// DashboardsImporter reads how the configurator imports the saved
// objects bundle:
//
//	DASHBOARDS_IMPORT   true (default: an import error fails the deploy),
//	                    warn (logged, the deploy goes on) or false
//	DASHBOARDS_URL      OpenSearch Dashboards base URL for a self-managed
//	                    cluster (e.g. http://dashboards:5601); empty = the
//	                    domain's own, OPENSEARCH_ENDPOINT/_dashboards
//	DASHBOARDS_TENANT   securitytenant header (default global)
//
// with the OpenSearch connection settings (OPENSEARCH_AUTH, ...). It
// returns nil when there is no endpoint.
func DashboardsImporter(ctx context.Context, c *Configurator) (*dashboards.Importer, error) {
	mode := Env("DASHBOARDS_IMPORT", dashboards.ModeImport)
	switch mode {
	case dashboards.ModeImport, dashboards.ModeWarn, dashboards.ModeOff:
	default:
		return nil, fmt.Errorf("DASHBOARDS_IMPORT %q: want true, warn or false", mode)
	}
	im := &dashboards.Importer{Mode: mode, Service: openSearchService(endpointOf("OPENSEARCH_ENDPOINT")), Tenant: os.Getenv("DASHBOARDS_TENANT")}
	if os.Getenv("DASHBOARDS_URL") == "" {
		if c.Client == nil {
			return nil, nil
		}
		im.Sender, im.Base = c.Client, "/_dashboards"
		return im, nil
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client, err := openSearchAt(ctx, awsCfg, "DASHBOARDS_URL")
	if err != nil {
		return nil, err
	}
	im.Sender = client
	return im, nil
}
