package awsenv

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/ostemplate"
)

// Configurator is what the configure custom resource needs.
type Configurator struct {
	Client   *bulk.Client // nil when no endpoint is configured
	Registry *logtype.Registry
	Options  ostemplate.Options
}

// Configure reads the OpenSearch connection (as the index step does), the
// log types (built-in and LOGTYPES_CONFIG), INDEX_ROTATION/INDEX_TZ and
//
//	INDEX_SHARDS, INDEX_REPLICAS, INDEX_TOTAL_FIELDS, INDEX_RETENTION_DAYS
//	LOADER_ROLE_ARNS   IAM roles mapped to the siem_loader security role
//	                   (fine-grained access control), comma separated
func Configure(ctx context.Context) (*Configurator, error) {
	setupProcess()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	c := &Configurator{}
	if c.Client, err = openSearch(ctx, awsCfg); err != nil {
		return nil, err
	}
	s3c := s3Client(awsCfg)
	reg, _, err := customLogTypes(ctx, blob.S3{Client: s3c}, os.Getenv("LOGTYPES_CONFIG"))
	if err != nil {
		return nil, err
	}
	if c.Registry, err = reg.WithIndexSettings(os.Getenv("INDEX_ROTATION"), os.Getenv("INDEX_TZ")); err != nil {
		return nil, fmt.Errorf("INDEX_ROTATION/INDEX_TZ: %w", err)
	}
	c.Options.Service = openSearchService(endpointOf("OPENSEARCH_ENDPOINT"))
	for _, arn := range strings.Split(os.Getenv("LOADER_ROLE_ARNS"), ",") {
		if arn = strings.TrimSpace(arn); arn != "" {
			c.Options.BackendRoles = append(c.Options.BackendRoles, arn)
		}
	}
	for name, dst := range map[string]*int{"INDEX_SHARDS": &c.Options.Shards, "INDEX_REPLICAS": &c.Options.Replicas, "INDEX_TOTAL_FIELDS": &c.Options.TotalFields, "INDEX_RETENTION_DAYS": &c.Options.RetentionDays} {
		if *dst, err = envInt(name, 0); err != nil {
			return nil, err
		}
	}
	return c, nil
}
