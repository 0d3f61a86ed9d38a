package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
)

// BatchInput is the ingest state machine's input for a batch of small
// objects grouped by the dispatcher: one execution, one Load invocation
// for all of them.
type BatchInput struct {
	Objects []SplitInput `json:"objects"`
}

// BatchObject is what LoadBatch did with one object of a batch.
type BatchObject struct {
	Source     ObjectRef `json:"source"`
	LogType    string    `json:"log_type,omitempty"`
	SkipReason string    `json:"skip_reason,omitempty"`
	// Failed is set when the object could not be loaded: its records were
	// dead-lettered whole (Counts says how many), or, when Error says it
	// could not be read at all, there was nothing to dead-letter.
	Failed bool       `json:"failed,omitempty"`
	Error  string     `json:"error,omitempty"`
	Counts Counts     `json:"counts"`
	Stats  *LoadStats `json:"stats,omitempty"`
	// Bytes is the object's size as stored (0 when skipped unread).
	Bytes int64 `json:"bytes,omitempty"`
}

// BatchOutput is LoadBatch's answer: per object results and the totals.
// The accounting identity holds over the totals: records_in == indexed +
// dead_lettered + skipped (skipped objects have no records).
type BatchOutput struct {
	Objects []BatchObject `json:"objects"`
	Loaded  int           `json:"loaded"`
	// SkippedObjects counts objects skipped before reading (Objects has
	// the reasons); FailedObjects those that failed for good.
	SkippedObjects int    `json:"skipped_objects"`
	FailedObjects  int    `json:"failed_objects"`
	Counts         Counts `json:"counts"`
}

func (b *BatchOutput) add(o BatchObject) {
	switch {
	case o.Failed:
		b.FailedObjects++
	case o.SkipReason != "":
		b.SkippedObjects++
	default:
		b.Loaded++
	}
	b.Counts.Add(o.Counts)
	b.Objects = append(b.Objects, o)
}

// LoadBatch loads small objects one after the other in one invocation:
// split's decision for each (skips with reasons, without reading it), then
// Load of the whole object. An object bigger than the inline limit is
// loaded whole too (the dispatcher sends those to their own execution; if
// one gets here anyway it still loads, only slower).
//
// A retryable failure (throttling, storage) fails the whole call: the state
// machine retries it, and since ids are deterministic the objects already
// loaded are overwritten, not duplicated. Any other failure of one object
// dead-letters that object's records whole and the batch goes on.
func (s *Steps) LoadBatch(ctx context.Context, in BatchInput) (BatchOutput, error) {
	out := BatchOutput{Objects: make([]BatchObject, 0, len(in.Objects))}
	for _, obj := range in.Objects {
		o, err := s.loadBatchObject(ctx, obj)
		if err != nil {
			return BatchOutput{}, err
		}
		out.add(o)
	}
	return out, nil
}

func (s *Steps) loadBatchObject(ctx context.Context, obj SplitInput) (BatchObject, error) {
	sp, def, size, err := s.plan(ctx, obj)
	o := BatchObject{Source: sp.Source, LogType: sp.LogType, SkipReason: sp.SkipReason, Bytes: size}
	if err != nil {
		if retryable(err) {
			return o, err
		}
		if o.Source.Key == "" {
			o.Source = ObjectRef{Bucket: obj.Bucket, Key: obj.Key}
			if obj.Detail != nil {
				o.Source = ObjectRef{Bucket: obj.Detail.Bucket.Name, Key: obj.Detail.Object.Key}
			}
		}
		o.Failed, o.Error = true, err.Error()
		return o, nil
	}
	if sp.Skipped {
		return o, nil
	}
	c := Chunk{Source: sp.Source, LogType: def.Name, Data: sp.Source}
	res, err := s.loadChunk(ctx, c)
	if err == nil {
		o.Counts, o.Stats = res.Counts, res.Stats
		return o, nil
	}
	if retryable(err) {
		return o, err
	}
	return s.failBatchObject(ctx, o, c, errorTypeName(err), err.Error())
}

// failBatchObject dead-letters an object of a batch whole.
func (s *Steps) failBatchObject(ctx context.Context, o BatchObject, c Chunk, errType, cause string) (BatchObject, error) {
	o.Failed, o.Error = true, errType+": "+truncate([]byte(cause), 500)
	f := ChunkFailure{Chunk: c}
	f.Error.Error, f.Error.Cause = errType, cause
	dl, err := s.FailChunk(ctx, f)
	if errors.Is(err, blob.ErrNotFound) {
		// Deleted since it was announced: nothing to load or dead-letter.
		return o, nil
	}
	if err != nil {
		return o, err
	}
	o.Counts = dl.Counts
	return o, nil
}

// BatchFailure is the dead-letter step's input from the state machine's
// Catch when a batch failed all retries.
type BatchFailure struct {
	Objects []SplitInput `json:"objects"`
	Error   struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error"`
}

// FailBatch dead-letters every record of every object of a batch that
// failed for good (replay is idempotent: documents that were indexed
// before the failure are overwritten, not duplicated, when replayed).
func (s *Steps) FailBatch(ctx context.Context, f BatchFailure) (BatchOutput, error) {
	var out BatchOutput
	for _, obj := range f.Objects {
		sp, def, _, err := s.plan(ctx, obj)
		o := BatchObject{Source: sp.Source, LogType: sp.LogType, SkipReason: sp.SkipReason}
		switch {
		case err != nil:
			o.Failed, o.Error = true, err.Error()
		case !sp.Skipped:
			c := Chunk{Source: sp.Source, LogType: def.Name, Data: sp.Source}
			if o, err = s.failBatchObject(ctx, o, c, f.Error.Error, f.Error.Cause); err != nil {
				return BatchOutput{}, err
			}
		}
		out.add(o)
	}
	return out, nil
}

func retryable(err error) bool {
	var re *bulk.RetryableError
	return errors.As(err, &re)
}

// loadChunk is Load, with the indexer's own verdict on its failures: Load
// marks every failure it cannot attribute as retryable (storage), which
// would also retry, six times with backoff, a request the cluster refused
// for good. An indexer error that is not a *bulk.RetryableError is
// returned as is, so the state machine catches and dead-letters at once.
func (s *Steps) loadChunk(ctx context.Context, c Chunk) (StepOutput, error) {
	if s.cfg.Indexer == nil {
		return s.Load(ctx, c)
	}
	w := &verdictIndexer{Indexer: s.cfg.Indexer}
	ls := &Steps{cfg: s.cfg}
	ls.cfg.Indexer = w
	out, err := ls.Load(ctx, c)
	if err != nil && w.final != nil {
		return out, w.final
	}
	if out.Stats != nil {
		out.Stats.BulkRequests, out.Stats.BulkMillis, out.Stats.BulkRetryable = w.calls, w.took.Milliseconds(), w.retryable
		out.Stats.BulkThrottled, out.Stats.BulkItemsThrottled = w.throttled, w.itemsThrottled
	}
	return out, err
}

// verdictIndexer remembers the first non-retryable error of its indexer,
// and times its calls for the metrics.
type verdictIndexer struct {
	bulk.Indexer
	mu        sync.Mutex
	final     error
	calls     int
	retryable int
	took      time.Duration
	// throttled and itemsThrottled add up the indexer's 429 counts.
	throttled, itemsThrottled int
}

func (v *verdictIndexer) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	start := time.Now()
	res, err := v.Indexer.Index(ctx, docs)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls++
	v.took += time.Since(start)
	v.throttled += res.Throttled
	v.itemsThrottled += res.ItemsThrottled
	if err != nil && retryable(err) {
		v.retryable++
	}
	if err != nil && !retryable(err) && ctx.Err() == nil && v.final == nil {
		v.final = err
	}
	return res, err
}
