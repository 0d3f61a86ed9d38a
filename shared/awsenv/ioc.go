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
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/geoip/download"
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
	setupProcess()
	bucket := os.Getenv("GEO_BUCKET")
	if bucket == "" {
		return nil, fmt.Errorf("GEO_BUCKET is not set")
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	s3c := s3Client(awsCfg)
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

// GeoIPDownload builds the GeoLite2 refresh from the environment:
//
//	GEO_BUCKET           where GeoLite2/GeoLite2-{City,ASN}.mmdb are stored
//	MAXMIND_SECRET_ARN   Secrets Manager secret {"account_id", "license_key"}
//	MAXMIND_URL          download URL with {edition} (tests, mirrors)
func GeoIPDownload(ctx context.Context) (*download.Config, error) {
	setupProcess()
	bucket, arn := os.Getenv("GEO_BUCKET"), os.Getenv("MAXMIND_SECRET_ARN")
	if bucket == "" || arn == "" {
		return nil, fmt.Errorf("GEO_BUCKET and MAXMIND_SECRET_ARN must be set")
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	s3c := s3Client(awsCfg)
	sm := secretsmanager.NewFromConfig(awsCfg)
	return &download.Config{
		Store: blob.S3{Client: s3c}, Bucket: bucket, URL: os.Getenv("MAXMIND_URL"),
		HTTP: &http.Client{Timeout: 5 * time.Minute},
		Creds: func(ctx context.Context) (download.Credentials, error) {
			out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
			if err != nil {
				return download.Credentials{}, err
			}
			return download.ParseCredentials(aws.ToString(out.SecretString))
		},
	}, nil
}
