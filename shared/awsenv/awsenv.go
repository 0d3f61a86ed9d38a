// Package awsenv builds the pipeline steps from a Lambda function's
// environment: S3 clients, the OpenSearch client and the GeoIP databases.
// Handlers call it once per container (cold start).
package awsenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/emf"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/exclude"
	"github.com/siemloader/siem/shared/geoip"
	"github.com/siemloader/siem/shared/heap"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/useragent"
	"github.com/siemloader/siem/shared/xff"
)

// Needs says which optional parts a function uses.
type Needs struct {
	OpenSearch bool
	GeoIP      bool
}

// Env reads a variable with a default.
func Env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a number", name, v)
	}
	return n, nil
}

// Steps builds the steps from the environment:
//
//	STAGING_BUCKET          staging and dead-letter bucket (required)
//	CHUNK_RECORDS           records per chunk (default: the log type's)
//	INLINE_MAX_BYTES        objects up to this size are not read by split (default 1 MiB)
//	OWN_KEYS_REGEX          keys of the loader's own output to skip
//	INDEX_ROTATION          daily, weekly, monthly, yearly or auto for every log type (default: each type's, monthly)
//	INDEX_TZ                time zone of the index date, e.g. +09:00 (default UTC)
//	LOGTYPES_CONFIG         custom log types YAML: s3://bucket/key or a file path
//	                        (default: /opt/logtypes.yaml when a layer ships one)
//	OPENSEARCH_ENDPOINT     https://search-...es.amazonaws.com (index step)
//	OPENSEARCH_STACK_ENDPOINT  the domain or collection the stack created, used while OPENSEARCH_ENDPOINT is empty
//	OPENSEARCH_AUTH         sigv4 (default) or basic
//	OPENSEARCH_SERVICE      es (default) or aoss
//	OPENSEARCH_SECRET_ARN   Secrets Manager secret {"username","password"} for basic auth
//	BULK_MAX_BYTES          bulk body cap (default 5 MiB, at most 10 MiB)
//	GEO_BUCKET              bucket holding GeoLite2/GeoLite2-{City,ASN}.mmdb (enrich step)
//	                        and exclude_log_patterns.csv (any step that parses)
//	EXCLUDE_LOG_PATTERNS_KEY  key of that CSV in GEO_BUCKET (default exclude_log_patterns.csv)
//	LOG_ARCHIVE_ROLE_ARN, LOG_ARCHIVE_BUCKETS, LOG_ARCHIVE_EXTERNAL_ID,
//	SECURITY_LAKE_ROLE_ARN, SECURITY_LAKE_EXTERNAL_ID: see S3Store
func Steps(ctx context.Context, needs Needs) (*pipeline.Steps, error) {
	setupProcess()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	store, err := S3Store(awsCfg)
	if err != nil {
		return nil, err
	}
	cfg := pipeline.StepsConfig{
		Metrics:       emf.Default,
		Store:         store,
		StagingBucket: os.Getenv("STAGING_BUCKET"),
	}
	reg, configSrc, err := customLogTypes(ctx, cfg.Store, os.Getenv("LOGTYPES_CONFIG"))
	if err != nil {
		return nil, err
	}
	reg, err = reg.WithIndexSettings(os.Getenv("INDEX_ROTATION"), os.Getenv("INDEX_TZ"))
	if err != nil {
		return nil, fmt.Errorf("INDEX_ROTATION/INDEX_TZ: %w", err)
	}
	cfg.Registry = reg
	if cfg.Exclusions, err = exclusions(ctx, cfg.Store, configSrc, reg); err != nil {
		return nil, err
	}
	if cfg.ChunkRecords, err = envInt("CHUNK_RECORDS", 0); err != nil {
		return nil, err
	}
	inline, err := envInt("INLINE_MAX_BYTES", 0)
	if err != nil {
		return nil, err
	}
	cfg.InlineMaxBytes = int64(inline)
	if re := os.Getenv("OWN_KEYS_REGEX"); re != "" {
		if cfg.OwnKeys, err = regexp.Compile(re); err != nil {
			return nil, fmt.Errorf("OWN_KEYS_REGEX: %w", err)
		}
	}
	if needs.OpenSearch {
		bc, err := openSearch(ctx, awsCfg)
		if err != nil {
			return nil, err
		}
		if bc != nil {
			cfg.Indexer = bc
		}
	}
	if needs.GeoIP {
		trusted, err := xff.ParseTrusted(strings.NewReader(os.Getenv("TRUSTED_PROXIES")))
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
		}
		cfg.Enrichers = append(cfg.Enrichers, pipeline.XFFEnricher{Trusted: trusted})
		if bucket := os.Getenv("GEO_BUCKET"); bucket != "" {
			db, err := geoip.Load(ctx, cfg.Store, bucket, "GeoLite2/GeoLite2-City.mmdb", "GeoLite2/GeoLite2-ASN.mmdb", os.TempDir(), 24*time.Hour)
			if err != nil {
				return nil, fmt.Errorf("GeoIP databases in s3://%s/GeoLite2/: %w", bucket, err)
			}
			cfg.Enrichers = append(cfg.Enrichers, pipeline.GeoIPEnricher{DB: db})
			iocs := &ioc.Source{Store: cfg.Store, Bucket: bucket}
			cfg.Enrichers = append(cfg.Enrichers, pipeline.IoCEnricher{DB: func() *ioc.DB { return iocs.DB(context.Background()) }})
		}
		cfg.Enrichers = append(cfg.Enrichers, pipeline.UserAgentEnricher{Parser: useragent.Default()})
	}
	return pipeline.NewSteps(cfg)
}

func openSearch(ctx context.Context, awsCfg aws.Config) (*bulk.Client, error) {
	return openSearchAt(ctx, awsCfg, "OPENSEARCH_ENDPOINT")
}

// openSearchAt is openSearch with the endpoint in the variable env (the
// authentication settings are the same).
func openSearchAt(ctx context.Context, awsCfg aws.Config, env string) (*bulk.Client, error) {
	endpoint := endpointOf(env)
	if endpoint == "" {
		return nil, nil
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	if _, err := url.Parse(endpoint); err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	cfg := bulk.Config{
		Endpoint:  endpoint,
		Auth:      Env("OPENSEARCH_AUTH", "sigv4"),
		Service:   openSearchService(endpoint),
		Region:    awsCfg.Region,
		AWSConfig: &awsCfg,
	}
	var err error
	if cfg.MaxBodyBytes, err = envInt("BULK_MAX_BYTES", 0); err != nil {
		return nil, err
	}
	if cfg.Auth == "basic" {
		arn := os.Getenv("OPENSEARCH_SECRET_ARN")
		if arn == "" {
			return nil, fmt.Errorf("OPENSEARCH_AUTH=basic needs OPENSEARCH_SECRET_ARN")
		}
		out, err := secretsmanager.NewFromConfig(awsCfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
		if err != nil {
			return nil, fmt.Errorf("reading secret %s: %w", arn, err)
		}
		var cred struct{ Username, Password string }
		if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &cred); err != nil || cred.Username == "" {
			return nil, fmt.Errorf("secret %s must be JSON {\"username\": ..., \"password\": ...}", arn)
		}
		cfg.Username, cfg.Password = cred.Username, cred.Password
	}
	return bulk.New(cfg)
}

// setupProcess is every function's first step at cold start: JSON logs at
// LOG_LEVEL and the collector's budget for the function's memory.
func setupProcess() {
	setupLogging(os.Getenv("LOG_LEVEL"))
	heap.Budget(heap.LambdaLimit(os.Getenv))
}

// setupLogging makes slog write JSON lines at LOG_LEVEL (DEBUG, INFO,
// WARN, ERROR; default INFO).
func setupLogging(level string) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil || level == "" {
		l = slog.LevelInfo
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})))
}

// customLogTypes applies the user's log type file, from S3 or a file (a
// Lambda layer puts it at /opt/logtypes.yaml), over the built-ins. A bad
// file stops the function at cold start with an error naming the entry
// and the field, instead of loading data the wrong way.
func customLogTypes(ctx context.Context, store blob.Store, loc string) (*logtype.Registry, []byte, error) {
	base := logtype.Builtin()
	if loc == "" {
		if _, err := os.Stat("/opt/logtypes.yaml"); err != nil {
			return base, nil, nil
		}
		loc = "/opt/logtypes.yaml"
	}
	var r io.ReadCloser
	var err error
	if rest, ok := strings.CutPrefix(loc, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		r, err = store.Get(ctx, bucket, key)
	} else {
		r, err = os.Open(loc)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("LOGTYPES_CONFIG %s: %w", loc, err)
	}
	defer r.Close()
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("LOGTYPES_CONFIG %s: %w", loc, err)
	}
	reg, err := logtype.LoadConfig(base, bytes.NewReader(src))
	if err != nil {
		return nil, nil, fmt.Errorf("LOGTYPES_CONFIG %s: %w", loc, err)
	}
	return reg, src, nil
}

// exclusions are read at cold start (reference-spec §2.12): the
// exclusions section of the log types config, and
// s3://$GEO_BUCKET/$EXCLUDE_LOG_PATTERNS_KEY (default
// exclude_log_patterns.csv; a missing file means no patterns). A bad rule
// stops the function with the rule's name, as a bad log type does.
func exclusions(ctx context.Context, store blob.Store, configSrc []byte, reg *logtype.Registry) (*exclude.Set, error) {
	var csvFile io.Reader
	key := Env("EXCLUDE_LOG_PATTERNS_KEY", "exclude_log_patterns.csv")
	if bucket := os.Getenv("GEO_BUCKET"); bucket != "" {
		r, err := store.Get(ctx, bucket, key)
		switch {
		case errors.Is(err, blob.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
		default:
			defer r.Close()
			csvFile = r
		}
	}
	set, err := exclude.Load(configSrc, csvFile, key, func(t string) bool { return reg.Get(t) != nil })
	if err != nil {
		return nil, fmt.Errorf("exclusion rules: %w", err)
	}
	if n := set.Len(); n > 0 {
		slog.Info("exclusion rules loaded", "rules", set.Names())
	}
	return set, nil
}

// S3Store is the object store with the clients of other accounts' buckets:
//
//	LOG_ARCHIVE_ROLE_ARN     role in a Control Tower / organization log
//	                         archive account that may read its buckets
//	LOG_ARCHIVE_BUCKETS      those buckets, comma separated ("name*" for a prefix)
//	LOG_ARCHIVE_EXTERNAL_ID  external id the role requires, if any
//	SECURITY_LAKE_ROLE_ARN   a Security Lake subscriber's role; it reads the
//	                         aws-security-data-lake-* buckets
//	SECURITY_LAKE_EXTERNAL_ID  the subscriber's external id
//
// Roles are assumed on first use and refreshed before they expire; a role
// that cannot be assumed fails the read with STS's reason.
func S3Store(awsCfg aws.Config) (blob.S3, error) {
	store := blob.S3{Client: s3Client(awsCfg)}
	if arn := os.Getenv("LOG_ARCHIVE_ROLE_ARN"); arn != "" {
		buckets := splitList(os.Getenv("LOG_ARCHIVE_BUCKETS"))
		if len(buckets) == 0 {
			return store, fmt.Errorf("LOG_ARCHIVE_ROLE_ARN is set but LOG_ARCHIVE_BUCKETS names no bucket")
		}
		c := s3Client(assumed(awsCfg, arn, os.Getenv("LOG_ARCHIVE_EXTERNAL_ID")))
		for _, b := range buckets {
			store.Clients = append(store.Clients, blob.BucketClient{Bucket: b, Client: c})
		}
	}
	if arn := os.Getenv("SECURITY_LAKE_ROLE_ARN"); arn != "" {
		c := s3Client(assumed(awsCfg, arn, os.Getenv("SECURITY_LAKE_EXTERNAL_ID")))
		store.Clients = append(store.Clients, blob.BucketClient{Bucket: "aws-security-data-lake-*", Client: c})
	}
	return store, nil
}

// assumed is awsCfg with the credentials of role arn.
func assumed(awsCfg aws.Config, arn, externalID string) aws.Config {
	c := awsCfg.Copy()
	p := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "siem-loader"
		o.Duration = time.Hour
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	c.Credentials = aws.NewCredentialsCache(p)
	return c
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// s3Client is the S3 client every function uses; an endpoint override
// (AWS_ENDPOINT_URL_S3: moto, MinIO) needs path-style addressing.
func s3Client(awsCfg aws.Config) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
			o.UsePathStyle = true
		}
	})
}
