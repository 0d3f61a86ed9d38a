// Package runner runs the ingest pipeline in-process over local files: the
// same split, parse, enrich and index code the Lambda functions run, with
// a directory for staging and a file or OpenSearch sink.
package runner

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/exclude"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/pipeline"
)

// LocalBucket is the bucket name local files are read as.
const LocalBucket = "local"

// stagingBucket is the staging bucket's name inside the temporary directory.
const stagingBucket = "staging"

// Options configure a local run.
type Options struct {
	Paths   []string
	LogType string // force a log type; otherwise detected from each path
	OutDir  string // documents (file sink) and dead letters
	Indexer bulk.Indexer
	// Enrichers run in the enrich step (GeoIP...).
	Enrichers []pipeline.Enricher
	Registry  *logtype.Registry
	// Exclusions are the user's exclusion rules (nil: none).
	Exclusions *exclude.Set
	// ChunkRecords is the number of records the workers take at a time
	// (default 2,000).
	ChunkRecords int
	// InlineMaxBytes: files at most this big are parsed whole (default 1 MiB).
	InlineMaxBytes int64
	Workers        int
	Progress       io.Writer // nil for silence
	Now            func() time.Time
}

// TypeCounts is the accounting of one log type.
type TypeCounts struct {
	Objects      int `json:"objects"`
	RecordsIn    int `json:"records_in"`
	Indexed      int `json:"indexed"`
	DeadLettered int `json:"dead_lettered"`
	Skipped      int `json:"skipped"`
}

// SkippedObject is an input that was not loaded, with the reason.
type SkippedObject struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Summary is the result of a run. RecordsIn == Indexed + DeadLettered +
// Skipped always holds.
type Summary struct {
	RecordsIn      int             `json:"records_in"`
	Indexed        int             `json:"indexed"`
	DeadLettered   int             `json:"dead_lettered"`
	Skipped        int             `json:"skipped"`
	Objects        int             `json:"objects"`
	Chunks         int             `json:"chunks"`
	SkippedObjects []SkippedObject `json:"skipped_objects"`
	// FailedObjects could not be loaded to the end (unreadable, staging
	// unwritable); the run went on with the other inputs.
	FailedObjects []SkippedObject `json:"failed_objects,omitempty"`
	// NotSent counts the dead letters of documents the sink did not take
	// for a retryable cause (retries spent): siem replay re-sends them.
	NotSent int                    `json:"not_sent,omitempty"`
	ByType  map[string]*TypeCounts `json:"by_type"`
	ByIndex map[string]int         `json:"by_index"`
	Reasons map[string]int         `json:"reasons"`
	// Matched counts records matching COUNT exclusion rules, by rule.
	Matched       map[string]int `json:"matched,omitempty"`
	DeadLetterDir string         `json:"dead_letter_dir,omitempty"`
	Seconds       float64        `json:"seconds"`
	// BytesIn is the inputs' size as stored (gzip included); BytesOut the
	// JSON sources of the documents indexed.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	// RecordsPerSecond is RecordsIn over the run's wall time.
	RecordsPerSecond float64 `json:"records_per_second"`
	// NewestRecord is the newest loaded record's @timestamp and
	// RecordLagSeconds the run's end minus it: the RecordLagSeconds
	// metric of the deployed loader.
	NewestRecord     string  `json:"newest_record,omitempty"`
	RecordLagSeconds float64 `json:"record_lag_seconds,omitempty"`
	// BulkRequests are the _bulk requests sent (retries included);
	// BulkThrottled the HTTP 429 answers to them and BulkItemsThrottled
	// the documents answered 429 inside responses (each retried): the
	// deployed loader's BulkThrottled and BulkItemsThrottled metrics.
	BulkRequests       int `json:"bulk_requests,omitempty"`
	BulkThrottled      int `json:"bulk_throttled,omitempty"`
	BulkItemsThrottled int `json:"bulk_items_throttled,omitempty"`
}

// files is a Store serving local files as bucket "local" (key = the path
// as given) and delegating everything else to the staging directory.
type files struct {
	staging blob.Dir
	paths   map[string]string // object key -> file path
}

// keyFor turns a file path into the object key it is read as: slashes,
// no leading "../" or "/" (they would let staging and dead-letter keys
// escape their folders), everything else kept so detection sees it.
func keyFor(path string) string {
	k := filepath.ToSlash(filepath.Clean(path))
	for strings.HasPrefix(k, "../") {
		k = k[3:]
	}
	return strings.TrimLeft(k, "/")
}

func (f files) path(key string) string {
	if p, ok := f.paths[key]; ok {
		return p
	}
	return filepath.FromSlash(key)
}

func (f files) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	if bucket == LocalBucket {
		return os.Open(f.path(key))
	}
	return f.staging.Get(ctx, bucket, key)
}

func (f files) Head(ctx context.Context, bucket, key string) (blob.Info, error) {
	if bucket == LocalBucket {
		st, err := os.Stat(f.path(key))
		if err != nil {
			return blob.Info{}, err
		}
		return blob.Info{Size: st.Size()}, nil
	}
	return f.staging.Head(ctx, bucket, key)
}

func (f files) Put(ctx context.Context, bucket, key string, body []byte) error {
	if bucket == LocalBucket {
		return errors.New("the local runner never writes input files")
	}
	return f.staging.Put(ctx, bucket, key, body)
}

func (f files) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	return f.staging.List(ctx, bucket, prefix)
}

func (f files) Delete(ctx context.Context, bucket, key string) error {
	if bucket == LocalBucket {
		return errors.New("the local runner never deletes input files")
	}
	return f.staging.Delete(ctx, bucket, key)
}

// countingIndexer tallies successes per index.
type countingIndexer struct {
	next    bulk.Indexer
	mu      sync.Mutex
	byIndex map[string]int
	bytes   int64
	// bulk figures, from the indexer's results (zero for the file sink)
	requests, throttled, itemsThrottled int
}

func (c *countingIndexer) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	res, err := c.next.Index(ctx, docs)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests += res.Requests
	c.throttled += res.Throttled
	c.itemsThrottled += res.ItemsThrottled
	if err != nil && !res.Accounted(len(docs)) {
		return res, err
	}
	if len(res.Failed) == 0 && len(res.NotSent) == 0 {
		for _, d := range docs {
			c.byIndex[d.Index]++
			c.bytes += int64(len(d.Source))
		}
		return res, nil
	}
	failed := map[string]int{}
	for _, f := range res.Failed {
		failed[f.Doc.Index+"\x00"+f.Doc.ID]++
	}
	for _, d := range res.NotSent {
		failed[d.Index+"\x00"+d.ID]++
	}
	for _, d := range docs {
		k := d.Index + "\x00" + d.ID
		if failed[k] > 0 {
			failed[k]--
			continue
		}
		c.byIndex[d.Index]++
		c.bytes += int64(len(d.Source))
	}
	return res, err
}

// Inputs expands paths (files and directories) into the files to load, in
// a stable order.
func Inputs(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, filepath.ToSlash(filepath.Clean(p)))
			continue
		}
		err = filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if strings.HasPrefix(e.Name(), ".") && q != p {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(e.Name(), ".") || strings.HasSuffix(e.Name(), ".md") {
				return nil
			}
			out = append(out, filepath.ToSlash(filepath.Clean(q)))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// Run loads every input and returns the summary. It fails only on
// operational errors (unreadable input, sink unavailable).
func Run(ctx context.Context, o Options) (*Summary, error) {
	start := time.Now()
	if o.OutDir == "" {
		o.OutDir = "out"
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Indexer == nil {
		return nil, errors.New("no sink")
	}
	inputs, err := Inputs(o.Paths)
	if err != nil {
		return nil, err
	}
	stagingDir, err := os.MkdirTemp("", "siem-staging-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stagingDir)
	counter := &countingIndexer{next: o.Indexer, byIndex: map[string]int{}}
	store := files{staging: blob.Dir{Root: stagingDir}, paths: map[string]string{}}
	for _, in := range inputs {
		store.paths[keyFor(in)] = in
	}
	steps, err := pipeline.NewSteps(pipeline.StepsConfig{
		Store:          store,
		StagingBucket:  stagingBucket,
		Registry:       o.Registry,
		ChunkRecords:   o.ChunkRecords,
		InlineMaxBytes: o.InlineMaxBytes,
		Indexer:        counter,
		Enrichers:      o.Enrichers,
		Exclusions:     o.Exclusions,
		Now:            o.Now,
	})
	if err != nil {
		return nil, err
	}
	sum := &Summary{ByType: map[string]*TypeCounts{}, Reasons: map[string]int{}, SkippedObjects: []SkippedObject{}}
	typeOf := func(t string) *TypeCounts {
		if sum.ByType[t] == nil {
			sum.ByType[t] = &TypeCounts{}
		}
		return sum.ByType[t]
	}
	var mu sync.Mutex
	record := func(in string, res pipeline.ObjectResult, loadErr error) {
		mu.Lock()
		defer mu.Unlock()
		sp, objCounts := res.Split, res.Counts
		sum.Objects++
		if loadErr != nil {
			sum.FailedObjects = append(sum.FailedObjects, SkippedObject{Path: in, Reason: loadErr.Error()})
			progress(o.Progress, "[%d/%d] %s: failed (%v)\n", sum.Objects, len(inputs), in, loadErr)
			if sp.LogType == "" || sp.Skipped {
				return
			}
			// Documents framed but neither sent nor dead-lettered: the
			// identity must hold, so they count as dead letters.
			if objCounts.Pending > 0 {
				objCounts.DeadLettered += objCounts.Pending
				if objCounts.Reasons == nil {
					objCounts.Reasons = map[string]int{}
				}
				objCounts.Reasons["object failed"] += objCounts.Pending
				objCounts.Pending = 0
			}
		}
		if sp.Skipped {
			sum.SkippedObjects = append(sum.SkippedObjects, SkippedObject{Path: in, Reason: sp.SkipReason})
			progress(o.Progress, "[%d/%d] %s: skipped (%s)\n", sum.Objects, len(inputs), in, sp.SkipReason)
			return
		}
		if ts := res.NewestRecord; len(ts) >= 19 && (len(sum.NewestRecord) < 19 || ts[:19] > sum.NewestRecord[:19]) {
			sum.NewestRecord = ts
		}
		tc := typeOf(sp.LogType)
		tc.Objects++
		sum.Chunks += res.Batches
		tc.RecordsIn += objCounts.RecordsIn
		tc.Indexed += objCounts.Indexed
		tc.DeadLettered += objCounts.DeadLettered
		tc.Skipped += objCounts.Skipped
		sum.RecordsIn += objCounts.RecordsIn
		sum.Indexed += objCounts.Indexed
		sum.DeadLettered += objCounts.DeadLettered
		sum.Skipped += objCounts.Skipped
		for k, v := range objCounts.Reasons {
			sum.Reasons[k] += v
			if strings.HasPrefix(k, strings.TrimSuffix(pipeline.NotSentPrefix, ": ")) {
				sum.NotSent += v
			}
		}
		for k, v := range objCounts.Matched {
			if sum.Matched == nil {
				sum.Matched = map[string]int{}
			}
			sum.Matched[k] += v
		}
		progress(o.Progress, "[%d/%d] %s: %s, %d records, %d indexed, %d dead-lettered, %d skipped\n",
			sum.Objects, len(inputs), in, sp.LogType, objCounts.RecordsIn, objCounts.Indexed, objCounts.DeadLettered, objCounts.Skipped)
	}
	// Small files (most AWS deliveries) load side by side, one worker
	// each; a big file waits for them and gets every worker.
	inline := o.InlineMaxBytes
	if inline <= 0 {
		inline = 1 << 20
	}
	// A file that fails is recorded and the others go on: the run always
	// ends with a summary.
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.Workers)
	load := func(in string, workers int) {
		res, err := steps.LoadObject(ctx, pipeline.SplitInput{Bucket: LocalBucket, Key: keyFor(in), LogType: o.LogType}, workers, o.ChunkRecords)
		record(in, res, err)
	}
	for _, in := range inputs {
		if ctx.Err() != nil {
			break
		}
		st, err := os.Stat(in)
		if err == nil {
			sum.BytesIn += st.Size()
		}
		if err == nil && st.Size() > inline {
			wg.Wait()
			load(in, o.Workers)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(in string) {
			defer wg.Done()
			defer func() { <-sem }()
			load(in, 1)
		}(in)
	}
	wg.Wait()
	sort.Slice(sum.FailedObjects, func(i, j int) bool { return sum.FailedObjects[i].Path < sum.FailedObjects[j].Path })
	sort.Slice(sum.SkippedObjects, func(i, j int) bool { return sum.SkippedObjects[i].Path < sum.SkippedObjects[j].Path })
	sum.ByIndex, sum.BytesOut = counter.byIndex, counter.bytes
	sum.BulkRequests, sum.BulkThrottled, sum.BulkItemsThrottled = counter.requests, counter.throttled, counter.itemsThrottled
	n, err := exportDeadLetters(ctx, store.staging, stagingBucket, filepath.Join(o.OutDir, "dead-letter"))
	if err != nil {
		return nil, err
	}
	if n > 0 {
		sum.DeadLetterDir = filepath.Join(o.OutDir, "dead-letter")
	}
	sum.Seconds = time.Since(start).Seconds()
	if ts, err := time.Parse(time.RFC3339Nano, sum.NewestRecord); err == nil {
		sum.RecordLagSeconds = max(0, time.Since(ts).Seconds())
	}
	if sum.Seconds > 0 {
		sum.RecordsPerSecond = float64(sum.RecordsIn) / sum.Seconds
	}
	return sum, nil
}

func progress(w io.Writer, f string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, f, a...)
	}
}

// exportDeadLetters decompresses the staged dead letters into dir as
// NDJSON files named after the step and the source path. It reads them
// through the staging store, so it knows no more of its layout than the
// steps do.
func exportDeadLetters(ctx context.Context, staging blob.Store, bucket, dir string) (int, error) {
	const prefix = "dead-letter/"
	keys, err := staging.List(ctx, bucket, prefix)
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := exportOne(ctx, staging, bucket, k, filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(strings.TrimPrefix(k, prefix), ".gz")))); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

func exportOne(ctx context.Context, staging blob.Store, bucket, key, dst string) error {
	in, err := staging.Get(ctx, bucket, key)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// WriteTable prints the summary as the tables a person reads.
func (s *Summary) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\n%-22s %8s %10s %10s %14s %8s\n", "log type", "objects", "records", "indexed", "dead-lettered", "skipped")
	for _, t := range sortedKeys(s.ByType) {
		c := s.ByType[t]
		fmt.Fprintf(w, "%-22s %8d %10d %10d %14d %8d\n", t, c.Objects, c.RecordsIn, c.Indexed, c.DeadLettered, c.Skipped)
	}
	fmt.Fprintf(w, "%-22s %8d %10d %10d %14d %8d\n", "total", s.Objects, s.RecordsIn, s.Indexed, s.DeadLettered, s.Skipped)

	if len(s.ByIndex) > 0 {
		fmt.Fprintf(w, "\n%-40s %10s\n", "index", "documents")
		for _, i := range sortedKeys(s.ByIndex) {
			fmt.Fprintf(w, "%-40s %10d\n", i, s.ByIndex[i])
		}
	}
	if len(s.Reasons) > 0 {
		fmt.Fprintf(w, "\n%-60s %8s\n", "dead letters and skips by reason", "records")
		for _, r := range sortedKeys(s.Reasons) {
			fmt.Fprintf(w, "%-60s %8d\n", r, s.Reasons[r])
		}
	}
	if len(s.Matched) > 0 {
		fmt.Fprintf(w, "\n%-60s %8s\n", "matched by COUNT rules (loaded)", "records")
		for _, r := range sortedKeys(s.Matched) {
			fmt.Fprintf(w, "%-60s %8d\n", r, s.Matched[r])
		}
	}
	if len(s.FailedObjects) > 0 {
		fmt.Fprintf(w, "\nfailed objects (the others went on):\n")
		for _, o := range s.FailedObjects {
			fmt.Fprintf(w, "  %s: %s\n", o.Path, o.Reason)
		}
	}
	if s.NotSent > 0 {
		fmt.Fprintf(w, "\n%d documents not sent (retries spent): siem replay %s\n", s.NotSent, s.DeadLetterDir)
	}
	if len(s.SkippedObjects) > 0 {
		fmt.Fprintf(w, "\nskipped objects:\n")
		for _, o := range s.SkippedObjects {
			fmt.Fprintf(w, "  %s: %s\n", o.Path, o.Reason)
		}
	}
	if s.DeadLetterDir != "" {
		fmt.Fprintf(w, "\ndead letters (raw record, source, record number, reason): %s\n", s.DeadLetterDir)
	}
	fmt.Fprintf(w, "\nrecords in %d = indexed %d + dead-lettered %d + skipped %d (%.2fs)\n", s.RecordsIn, s.Indexed, s.DeadLettered, s.Skipped, s.Seconds)
	if s.BytesIn > 0 && s.Seconds > 0 {
		fmt.Fprintf(w, "%.0f records/s, %.1f MB/s read (as stored), %.1f MB of documents (%.2f bytes out per byte in)\n",
			s.RecordsPerSecond, float64(s.BytesIn)/1e6/s.Seconds, float64(s.BytesOut)/1e6, float64(s.BytesOut)/float64(s.BytesIn))
	}
	if s.BulkRequests > 0 {
		fmt.Fprintf(w, "%d bulk requests, %d answered 429, %d documents answered 429 (retried)\n", s.BulkRequests, s.BulkThrottled, s.BulkItemsThrottled)
	}
	if s.NewestRecord != "" {
		fmt.Fprintf(w, "newest record %s (lag %s)\n", s.NewestRecord, (time.Duration(s.RecordLagSeconds) * time.Second).String())
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
