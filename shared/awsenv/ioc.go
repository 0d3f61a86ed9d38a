package awsenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/iocjob"
)

// IoCJob builds the IoC state machine's configuration from the environment:
//
//	GEO_BUCKET       bucket for the feeds (IOC/tmp/), the user's files
//	                 (IOC/TXT/, IOC/STIX2/) and the database (required)
//	IOC_TOR          "true": fetch the Tor exit list
//	IOC_FEODO        "true": fetch abuse.ch Feodo Tracker's C2 blocklist
//	OTX_SECRET_ARN   Secrets Manager secret holding the AlienVault OTX API
//	                 key (the key itself, or {"api_key": "..."}); empty: no OTX
//	IOC_TOR_URL, IOC_FEODO_URL, IOC_OTX_URL   feed locations (tests, mirrors)
func IoCJob(ctx context.Context) (*iocjob.Config, error) {
	setupLogging(os.Getenv("LOG_LEVEL"))
	bucket := os.Getenv("GEO_BUCKET")
	if bucket == "" {
		return nil, fmt.Errorf("GEO_BUCKET is not set")
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
			o.UsePathStyle = true
		}
	})
	c := &iocjob.Config{
		Store: blob.S3{Client: s3c}, Bucket: bucket,
		HTTP:   &http.Client{Timeout: 120 * time.Second},
		Tor:    os.Getenv("IOC_TOR") == "true",
		Feodo:  os.Getenv("IOC_FEODO") == "true",
		TorURL: os.Getenv("IOC_TOR_URL"), FeodoURL: os.Getenv("IOC_FEODO_URL"), OTXURL: os.Getenv("IOC_OTX_URL"),
	}
	if arn := os.Getenv("OTX_SECRET_ARN"); arn != "" {
		sm := secretsmanager.NewFromConfig(awsCfg)
		c.OTXKey = func(ctx context.Context) (string, error) {
			out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
			if err != nil {
				return "", err
			}
			return otxKey(aws.ToString(out.SecretString)), nil
		}
	}
	return c, nil
}

// otxKey reads the key from a secret: the key itself or {"api_key": ...}.
func otxKey(secret string) string {
	secret = strings.TrimSpace(secret)
	var v struct {
		APIKey string `json:"api_key"`
	}
	if strings.HasPrefix(secret, "{") && json.Unmarshal([]byte(secret), &v) == nil {
		return v.APIKey
	}
	return secret
}
