package awsenv

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/siemloader/siem/shared/backfill"
)

// Backfill configures the backfill function from its environment:
//
//	STAGING_BUCKET          where the page manifests go (required)
//	BATCH_MAX_OBJECTS       objects per batch (100)
//	BATCH_MAX_BYTES         bytes per batch (64 MiB)
//	BATCH_OBJECT_MAX_BYTES  bigger objects get their own ingest execution (1 MiB)
//	BACKFILL_PAGE_KEYS      keys listed per turn (10,000)
//
// and the log archive / Security Lake roles of S3Store.
func Backfill(ctx context.Context) (backfill.Step, error) {
	setupProcess()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return backfill.Step{}, err
	}
	store, err := S3Store(awsCfg)
	if err != nil {
		return backfill.Step{}, err
	}
	step := backfill.Step{Lister: store, Store: store, StagingBucket: os.Getenv("STAGING_BUCKET")}
	if step.StagingBucket == "" {
		return step, fmt.Errorf("STAGING_BUCKET is not set")
	}
	if step.MaxObjects, err = envInt("BATCH_MAX_OBJECTS", 100); err != nil {
		return step, err
	}
	n, err := envInt("BATCH_MAX_BYTES", 64<<20)
	if err != nil {
		return step, err
	}
	step.MaxBytes = int64(n)
	if n, err = envInt("BATCH_OBJECT_MAX_BYTES", 1<<20); err != nil {
		return step, err
	}
	step.ObjectMaxBytes = int64(n)
	if step.PageKeys, err = envInt("BACKFILL_PAGE_KEYS", backfill.DefaultPageKeys); err != nil {
		return step, err
	}
	return step, nil
}
