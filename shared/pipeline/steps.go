package pipeline

import (
	"errors"
	"regexp"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/emf"
	"github.com/siemloader/siem/shared/exclude"
	"github.com/siemloader/siem/shared/logtype"
)

// Enricher adds fields to a normalized document (GeoIP, threat intel, user
// agent, XFF). Enrichers are independent and run in order.
type Enricher interface {
	Enrich(doc map[string]any, def *logtype.Definition)
}

// StepsConfig wires the steps to storage, the registry and the sink.
type StepsConfig struct {
	// Metrics receives one EMF line per log type per invocation (nil: no
	// metrics, as in the local runner).
	Metrics       *emf.Writer
	Store         blob.Store
	StagingBucket string
	Registry      *logtype.Registry
	// ChunkRecords overrides every log type's records per chunk when > 0.
	ChunkRecords int
	// InlineMaxBytes: objects of at most this size (as stored, usually
	// gzip) are parsed whole without being read by split. 0 means 1 MiB:
	// small objects (the common case) cost one read; anything bigger is framed
	// and cut by record count, so a highly compressible object still fans out.
	InlineMaxBytes int64
	// OwnKeys matches keys of objects this loader writes itself (its access
	// logs, exports); such objects are skipped so the loader never loads
	// its own output.
	OwnKeys   *regexp.Regexp
	Indexer   bulk.Indexer
	Enrichers []Enricher
	// IndexBatch is the number of documents handed to the indexer at once.
	IndexBatch int
	// Exclusions are the user's exclusion rules (exclude_log_patterns.csv
	// and the config's conditions); nil for none.
	Exclusions *exclude.Set
	Now        func() time.Time
}

// Steps runs the ingest steps.
type Steps struct{ cfg StepsConfig }

// DefaultOwnKeys matches the prefixes documented for the loader's own
// output in a log bucket.
var DefaultOwnKeys = regexp.MustCompile(`(^|/)siem-loader/`)

// NewSteps checks the configuration and returns the steps.
func NewSteps(cfg StepsConfig) (*Steps, error) {
	if cfg.Store == nil {
		return nil, errors.New("pipeline: no object store")
	}
	if cfg.StagingBucket == "" {
		return nil, errors.New("pipeline: no staging bucket (STAGING_BUCKET)")
	}
	if cfg.Registry == nil {
		cfg.Registry = logtype.Builtin()
	}
	if cfg.InlineMaxBytes == 0 {
		cfg.InlineMaxBytes = 1 << 20
	}
	if cfg.OwnKeys == nil {
		cfg.OwnKeys = DefaultOwnKeys
	}
	if cfg.IndexBatch <= 0 {
		cfg.IndexBatch = 5000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Steps{cfg: cfg}, nil
}

// storeError marks storage failures other than "not found" retryable:
// S3 throttling and network errors are transient.
func storeError(err error) error {
	if err == nil || errors.Is(err, blob.ErrNotFound) {
		return err
	}
	var re *bulk.RetryableError
	if errors.As(err, &re) {
		return err
	}
	return &bulk.RetryableError{Reason: "object storage", Err: err}
}

// Store returns the object store the steps use.
func (s *Steps) Store() blob.Store { return s.cfg.Store }

// Config returns the configuration the steps run with (replay reuses it).
func (s *Steps) Config() StepsConfig { return s.cfg }
