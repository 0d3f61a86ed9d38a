// Package backfill loads objects that are already in S3 (history written
// before the stack existed, a bucket added later, a prefix to reload after
// a fix) through the ingest path, as the backfill state machine
// (statemachines/backfill.asl.json) runs it:
//
//	Start -> List -> (items) -> LoadPage: Distributed Map over the page's manifest
//	           ^                  child: batch  -> LoadBatch (Catch -> DeadLetterBatch)
//	           |                         object -> the ingest state machine (.sync)
//	           +------------------------+
//
// List (this package, the backfill function) reads one page of the
// ListObjectsV2 listing of a bucket/prefix, keeps the objects whose
// LastModified is in the optional [since, until) window, and groups them
// the way the dispatcher groups announced objects: small objects into
// batches that one Load invocation loads, each big object (or one of
// unknown size) alone, for the ingest state machine to split into chunks.
// It writes the page's items as a JSON manifest in the staging bucket,
// which the Distributed Map reads, and on the next turn adds up what the
// children did. Document ids are deterministic, so loading an object
// again (a second backfill, a backfill over objects that events already
// loaded) overwrites its documents and never duplicates them.
package backfill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/notify"
)

// Lister reads one page of a bucket's listing (blob.S3 is one).
type Lister interface {
	ListPage(ctx context.Context, bucket, prefix, token string, max int32) ([]blob.ListedObject, string, error)
}

// Putter writes the manifests (blob.S3 is one).
type Putter interface {
	Put(ctx context.Context, bucket, key string, body []byte) error
}

// Request is the backfill machine's input (and `siem backfill`'s flags).
type Request struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
	// Since and Until bound LastModified: since <= LastModified < until.
	// RFC 3339 (2024-01-15T00:00:00Z) or a date (2024-01-15, UTC). Empty:
	// no bound.
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
	// LogType loads every object as this log type instead of detecting it
	// from the key.
	LogType string `json:"log_type,omitempty"`
	// KeyDates applies the window to the date in the key (.../2024/01/15/
	// or year=2024/month=01/day=15/, with the hour when the key has one)
	// instead of LastModified; a key without a date falls back to
	// LastModified.
	KeyDates bool `json:"key_dates,omitempty"`
}

// keyDate finds the date AWS deliveries put in their keys.
var keyDate = regexp.MustCompile(`(?:^|/)(20\d{2})/([01]\d)/([0-3]\d)/(?:([0-2]\d)/)?|year=(20\d{2})/month=([01]\d)/day=([0-3]\d)/(?:hour=([0-2]\d)/)?`)

// KeyTime is the time a key's date (and hour) names, UTC.
func KeyTime(key string) (time.Time, bool) {
	m := keyDate.FindStringSubmatch(key)
	if m == nil {
		return time.Time{}, false
	}
	if m[1] == "" {
		m = append(m[:1], m[5:]...)
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	t := time.Date(n(m[1]), time.Month(n(m[2])), n(m[3]), n(m[4]), 0, 0, 0, time.UTC)
	if t.Month() != time.Month(n(m[2])) || t.Day() != n(m[3]) || n(m[4]) > 23 {
		return time.Time{}, false // 2024/02/31/ is no date
	}
	return t, true
}

// ParseTime reads a window bound: RFC 3339, or a date or date-time
// without zone (UTC).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2024-01-15T00:00:00Z) or a date (2024-01-15)", s)
}

// Validate checks a request before anything is listed.
func (r Request) Validate() error {
	if r.Bucket == "" {
		return errors.New("backfill: no bucket")
	}
	since, until, err := r.window()
	if err != nil {
		return err
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return fmt.Errorf("backfill: since %s is not before until %s", r.Since, r.Until)
	}
	return nil
}

func (r Request) window() (since, until time.Time, err error) {
	if r.Since != "" {
		if since, err = ParseTime(r.Since); err != nil {
			return since, until, fmt.Errorf("backfill: since: %w", err)
		}
	}
	if r.Until != "" {
		if until, err = ParseTime(r.Until); err != nil {
			return since, until, fmt.Errorf("backfill: until: %w", err)
		}
	}
	return since, until, nil
}

// InWindow reports whether t is in [since, until) (a zero bound is open).
func InWindow(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
}

// ObjectInput is one object as the ingest state machine and the load
// function read it (pipeline.SplitInput's flat form, key decoded).
type ObjectInput struct {
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	Size    *int64 `json:"size,omitempty"`
	LogType string `json:"log_type,omitempty"`
}

// Item is one element of a page's manifest: the Distributed Map child's
// input. Kind "batch": Objects are loaded by one Load invocation (the
// ingest machine's LoadBatch). Kind "object": Objects[0] goes to the
// ingest state machine as an execution named Name (split into chunks if
// it is big).
type Item struct {
	Kind    string        `json:"kind"`
	Name    string        `json:"name"`
	Objects []ObjectInput `json:"objects"`
}

// Ref names an S3 object.
type Ref struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// Counts is the records accounting of the loads (pipeline.Counts' fields):
// records_in = indexed + dead_lettered + skipped.
type Counts struct {
	RecordsIn    int `json:"records_in"`
	Indexed      int `json:"indexed"`
	DeadLettered int `json:"dead_lettered"`
	Skipped      int `json:"skipped"`
}

func (c *Counts) add(o Counts) {
	c.RecordsIn += o.RecordsIn
	c.Indexed += o.Indexed
	c.DeadLettered += o.DeadLettered
	c.Skipped += o.Skipped
}

// Totals is what a backfill did so far.
type Totals struct {
	// Listed keys; OutOfWindow of them were outside [since, until);
	// Empty were folders or zero-byte objects (nothing to load).
	Listed      int `json:"listed"`
	OutOfWindow int `json:"out_of_window"`
	Empty       int `json:"empty"`
	// Batches of BatchedObjects small objects were loaded by the map's
	// children; IngestExecutions big objects went to the ingest machine.
	Batches          int `json:"batches"`
	BatchedObjects   int `json:"batched_objects"`
	IngestExecutions int `json:"ingest_executions"`
	// What the children reported: objects loaded, skipped (unknown type,
	// the loader's own output...) and failed for good (dead-lettered
	// whole), ingest executions that failed, and the records.
	Loaded           int    `json:"loaded"`
	SkippedObjects   int    `json:"skipped_objects"`
	FailedObjects    int    `json:"failed_objects"`
	FailedExecutions int    `json:"failed_executions"`
	Counts           Counts `json:"counts"`
}

// State is the backfill machine's state from one List turn to the next.
type State struct {
	Request        Request `json:"request"`
	Execution      string  `json:"execution"`
	MaxConcurrency int     `json:"max_concurrency"`
	// Token continues the listing; Page counts the pages listed.
	Token string `json:"continuation_token,omitempty"`
	Page  int    `json:"page"`
	// ListedAll: the last page has been listed (its items may still be
	// loading). Finished: its results are added too; the machine ends.
	ListedAll bool `json:"listed_all"`
	Finished  bool `json:"finished"`
	// Manifest holds the page's Items (none: the page had nothing to load).
	Manifest *Ref `json:"manifest,omitempty"`
	Items    int  `json:"items"`
	// Results are the map children's outputs of the previous page.
	Results []json.RawMessage `json:"results,omitempty"`
	Totals  Totals            `json:"totals"`
}

// Result is a map child's output (see the ASL's ResultSelectors and Pass
// states); what does not apply is absent.
type Result struct {
	Kind           string  `json:"kind"`
	Failed         bool    `json:"failed"`
	Status         string  `json:"status"`
	Loaded         int     `json:"loaded"`
	SkippedObjects int     `json:"skipped_objects"`
	FailedObjects  int     `json:"failed_objects"`
	Counts         *Counts `json:"counts"`
}

// Lister defaults.
const (
	DefaultPageKeys = 10000
	// A page ends once it holds this many items, so that the map's results
	// (~100 bytes each) stay far below Step Functions' 256 KiB.
	maxPageItems = 200
	listMaxKeys  = 1000
)

// Step is the backfill function: one List turn.
type Step struct {
	Lister Lister
	Store  Putter
	// StagingBucket receives the manifests under backfill/<execution>/.
	StagingBucket string
	// Batching as the dispatcher's (the same defaults): MaxObjects and
	// MaxBytes per batch, ObjectMaxBytes above which an object gets its own
	// ingest execution.
	notify.Batching
	// PageKeys is the most keys one turn lists (DefaultPageKeys).
	PageKeys int
}

func (s Step) defaults() Step {
	s.Batching = s.Batching.WithDefaults()
	if s.PageKeys <= 0 {
		s.PageKeys = DefaultPageKeys
	}
	return s
}

// Handle runs one turn: it adds the previous page's results to the
// totals, then lists the next page and writes its manifest, or marks the
// backfill finished.
func (s Step) Handle(ctx context.Context, st State) (State, error) {
	s = s.defaults()
	if err := st.Request.Validate(); err != nil {
		return st, err
	}
	for _, raw := range st.Results {
		st.Totals.addResult(raw)
	}
	st.Results = nil
	st.Manifest, st.Items = nil, 0
	if st.ListedAll {
		st.Finished = true
		return st, nil
	}
	if s.StagingBucket == "" {
		return st, errors.New("backfill: no staging bucket for the manifests")
	}
	since, until, _ := st.Request.window()
	var items []Item
	var batch []ObjectInput
	var batchBytes int64
	var batchInput int
	flush := func() {
		if len(batch) > 0 {
			items = append(items, Item{Kind: "batch", Name: itemName(st.Execution, batch), Objects: batch})
			st.Totals.Batches++
			st.Totals.BatchedObjects += len(batch)
			batch, batchBytes, batchInput = nil, 0, 0
		}
	}
	listed := 0
	for {
		objs, next, err := s.Lister.ListPage(ctx, st.Request.Bucket, st.Request.Prefix, st.Token, int32(min(listMaxKeys, s.PageKeys-listed)))
		if err != nil {
			return st, err
		}
		for _, o := range objs {
			listed++
			st.Totals.Listed++
			if strings.HasSuffix(o.Key, "/") || o.Size == 0 {
				st.Totals.Empty++
				continue
			}
			at := o.LastModified
			if st.Request.KeyDates {
				if kt, ok := KeyTime(o.Key); ok {
					at = kt
				}
			}
			if !InWindow(at, since, until) {
				st.Totals.OutOfWindow++
				continue
			}
			size := o.Size
			in := ObjectInput{Bucket: st.Request.Bucket, Key: o.Key, Size: &size, LogType: st.Request.LogType}
			if size > s.ObjectMaxBytes {
				items = append(items, Item{Kind: "object", Name: executionName(st.Execution, st.Request.Bucket, o), Objects: []ObjectInput{in}})
				st.Totals.IngestExecutions++
				continue
			}
			n := notify.InputBytes(in.Bucket, in.Key) + len(in.LogType)
			if s.Full(len(batch), batchBytes, batchInput, size, n) {
				flush()
			}
			batch = append(batch, in)
			batchBytes += size
			batchInput += n
		}
		st.Token = next
		if next == "" {
			st.ListedAll = true
			break
		}
		if listed >= s.PageKeys || len(items) >= maxPageItems {
			break
		}
	}
	flush()
	st.Page++
	if len(items) == 0 {
		return st, nil
	}
	body, err := json.Marshal(items)
	if err != nil {
		return st, err
	}
	key := fmt.Sprintf("backfill/%s/page-%06d.json", safeName(st.Execution), st.Page)
	if err := s.Store.Put(ctx, s.StagingBucket, key, body); err != nil {
		return st, err
	}
	st.Manifest, st.Items = &Ref{Bucket: s.StagingBucket, Key: key}, len(items)
	return st, nil
}

func (t *Totals) addResult(raw json.RawMessage) {
	var r Result
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &r) != nil {
		// A child that failed without a result (AWS fails the run, moto
		// leaves null): counted as a failed execution so it shows.
		t.FailedExecutions++
		return
	}
	switch r.Kind {
	case "object":
		if r.Failed || (r.Status != "" && r.Status != "SUCCEEDED") {
			t.FailedExecutions++
		} else {
			t.Loaded++
		}
	case "batch":
		t.Loaded += r.Loaded
		t.SkippedObjects += r.SkippedObjects
		t.FailedObjects += r.FailedObjects
	default:
		// A child's error object (a tolerated failure): nothing it loaded
		// is known, so it counts as failed.
		t.FailedExecutions++
	}
	if r.Counts != nil {
		t.Counts.add(*r.Counts)
	}
}

// executionName names a big object's ingest execution: the same backfill
// execution (a redrive) never starts it twice; another backfill does.
func executionName(execution, bucket string, o blob.ListedObject) string {
	sum := sha256.Sum256([]byte(execution + "\x00" + bucket + "\x00" + o.Key + "\x00" + o.ETag))
	return "bf-" + hex.EncodeToString(sum[:20])
}

func itemName(execution string, batch []ObjectInput) string {
	h := sha256.New()
	h.Write([]byte(execution))
	for _, o := range batch {
		h.Write([]byte("\x00" + o.Bucket + "\x00" + o.Key))
	}
	return fmt.Sprintf("bf-batch-%d-%s", len(batch), hex.EncodeToString(h.Sum(nil)[:12]))
}

// safeName keeps an execution name usable as one key segment.
func safeName(s string) string {
	if s == "" {
		return "unnamed"
	}
	return strings.NewReplacer("/", "_", "\\", "_").Replace(s)
}

// ParseURI splits s3://bucket/prefix.
func ParseURI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix URI", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket", uri)
	}
	return bucket, prefix, nil
}
