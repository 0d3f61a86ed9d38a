// Command geoipdownload refreshes the GeoLite2 databases in the geo bucket
// on a schedule. The work is in shared/geoip/download.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/geoip/download"
)

func main() {
	cfg, err := awsenv.GeoIPDownload(context.Background())
	if err != nil {
		log.Fatalf("geoipdownload: configuration: %v", err)
	}
	lambda.Start(handler(cfg))
}

func handler(cfg *download.Config) func(context.Context) (download.Result, error) {
	return cfg.Run
}
