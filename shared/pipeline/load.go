package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/normalize"
)

// Load runs parse, enrich and index over one chunk in a single pass: each
// record is decoded and normalized into one map, the enrichers edit that
// map, it is encoded once and handed to the indexer in batches. Nothing is
// staged, so a document is never re-read, re-validated or re-decoded.
//
// A retryable indexing failure fails the whole call (ids are
// deterministic, so the retry overwrites what was already sent); dead
// letters of parse and of index are written under
// dead-letter/parse/... and dead-letter/index/... (deadLetterKey).
func (s *Steps) Load(ctx context.Context, c Chunk) (StepOutput, error) {
	def := s.cfg.Registry.Get(c.LogType)
	if def == nil {
		return StepOutput{}, fmt.Errorf("unknown log type %q", c.LogType)
	}
	if s.cfg.Indexer == nil {
		return StepOutput{}, errNoIndexer
	}
	fr, closeFn, err := s.openChunk(ctx, c, def)
	if err != nil {
		return StepOutput{}, err
	}
	defer closeFn()
	now := s.cfg.Now()
	dead := newDeadLetters(c, now)
	w := s.newLoadWorker(ctx, def, dead)
	n, err := normalize.Records(def, fr, normalize.New(def, normalize.Source{Bucket: c.Source.Bucket, Key: c.Source.Key}, now).Routing(s.cfg.Registry).Excluding(s.cfg.Exclusions), w)
	if err == nil {
		err = w.flush()
	}
	w.release()
	if err != nil {
		return StepOutput{}, storeError(err)
	}
	w.counts.RecordsIn = n
	if err := s.putDeadLetters(ctx, c, dead); err != nil {
		return StepOutput{}, err
	}
	return StepOutput{Chunk: c, Counts: w.counts, Stats: &LoadStats{NewestRecord: w.newest}}, nil
}

var errNoIndexer = errors.New("no OpenSearch endpoint configured (OPENSEARCH_ENDPOINT)")

// ObjectResult is what LoadObject did with one object.
type ObjectResult struct {
	Split  SplitOutput
	Counts Counts
	// Batches is the number of record batches the workers shared.
	Batches int
	// NewestRecord is the newest loaded record's @timestamp (RFC 3339).
	NewestRecord string
}

// LoadObject loads a whole object in-process: split's decision (log type,
// skips), then its records framed once and shared, in batches of
// batchRecords, among workers that each parse, enrich and index them (the
// local runner's path: nothing is staged, and the object is read once
// whatever its size). Dead letters go under the keys of the object's
// inline chunk.
func (s *Steps) LoadObject(ctx context.Context, in SplitInput, workers, batchRecords int) (ObjectResult, error) {
	sp, def, _, err := s.plan(ctx, in)
	res := ObjectResult{Split: sp}
	if err != nil || sp.Skipped {
		return res, err
	}
	if s.cfg.Indexer == nil {
		return res, errNoIndexer
	}
	c := Chunk{Source: sp.Source, LogType: def.Name, Data: sp.Source}
	res.Split.ChunkCount, res.Split.Chunk = 1, &c
	fr, closeFn, err := s.openChunk(ctx, c, def)
	if err != nil {
		return res, err
	}
	defer closeFn()
	if workers < 1 {
		workers = 1
	}
	if batchRecords <= 0 {
		batchRecords = defaultBatchRecords
	}
	now := s.cfg.Now()
	dead := newDeadLetters(c, now)
	src := normalize.Source{Bucket: c.Source.Bucket, Key: c.Source.Key}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	batches := make(chan *recordBatch, workers)
	var readErr error
	go func() {
		defer close(batches)
		readErr = readBatches(ctx, fr, batchRecords, batches, &res.Batches)
	}()
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := s.newLoadWorker(ctx, def, dead)
			w.spill = true
			norm := normalize.New(def, src, now).Routing(s.cfg.Registry).Excluding(s.cfg.Exclusions)
			var err error
			for b := range batches {
				if err != nil {
					continue // drain so the reader never blocks
				}
				var n int
				n, err = normalize.Records(def, b, norm, w)
				w.counts.RecordsIn += n
			}
			if err == nil {
				err = w.flush()
			}
			w.release()
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
				cancel()
			}
			res.Counts.Add(w.counts)
			if newer(w.newest, res.NewestRecord) {
				res.NewestRecord = w.newest
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = readErr
	}
	// Dead letters are written whatever happened: those already met are
	// never lost to a later failure.
	if err := s.putDeadLetters(context.WithoutCancel(ctx), c, dead); err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return res, storeError(firstErr)
	}
	return res, nil
}

// defaultBatchRecords is LoadObject's unit of shared work: big enough that
// handing a batch over costs nothing, small enough that a few in flight
// keep memory low.
const defaultBatchRecords = 2000

// recordBatch is framed records handed to a worker; it is a Framer over
// them, ending with the framing error the reader met, if any.
type recordBatch struct {
	recs []format.Record
	next int
	err  error
}

func (b *recordBatch) Next() (format.Record, error) {
	if b.next < len(b.recs) {
		b.next++
		return b.recs[b.next-1], nil
	}
	if b.err != nil {
		err := b.err
		b.err = nil
		return format.Record{}, err
	}
	return format.Record{}, io.EOF
}

// readBatches frames records into batches. Raw bytes are copied into a
// per-batch arena: framers may reuse their buffers.
func readBatches(ctx context.Context, fr format.Framer, size int, out chan<- *recordBatch, count *int) error {
	b := &recordBatch{recs: make([]format.Record, 0, size)}
	var arena []byte
	send := func() bool {
		if len(b.recs) == 0 && b.err == nil {
			return true
		}
		*count++
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		b = &recordBatch{recs: make([]format.Record, 0, size)}
		arena = nil
		return true
	}
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			send()
			return nil
		}
		var fe *format.FrameError
		if errors.As(err, &fe) {
			b.err = err
			send()
			return nil
		}
		if err != nil {
			return err
		}
		if len(rec.Raw) > cap(arena)-len(arena) {
			arena = make([]byte, 0, max(256<<10, len(rec.Raw)))
		}
		start := len(arena)
		arena = append(arena, rec.Raw...)
		// The arena is never written again (a full one is replaced, not
		// reused): decoders may share its bytes.
		rec.Raw, rec.Stable = arena[start:len(arena):len(arena)], true
		b.recs = append(b.recs, rec)
		if len(b.recs) >= size && !send() {
			return ctx.Err()
		}
	}
}

// loadBatchBytes caps the encoded documents a worker holds before it sends
// them, whatever IndexBatch says (big documents, bounded memory).
const loadBatchBytes = 8 << 20

// loadWorker is the normalize.Sink of the fused path: it enriches each
// document before encoding and sends the encoded documents in batches.
type loadWorker struct {
	s      *Steps
	ctx    context.Context
	def    *logtype.Definition
	dead   *deadLetters
	counts Counts
	newest string
	batch  []bulk.Doc
	// arena holds the batch's encoded sources; it is reused once the
	// batch is sent (indexers keep no source past Index).
	arena []byte
	// spill dead-letters a batch the indexer could not take (retries
	// spent, cluster unreachable) instead of failing: LoadObject's way,
	// where nobody retries the call. Load leaves it off, so the state
	// machine retries the step.
	spill bool
}

func (s *Steps) newLoadWorker(ctx context.Context, def *logtype.Definition, dead *deadLetters) *loadWorker {
	w := &loadWorker{s: s, ctx: ctx, def: def, dead: dead}
	if a, ok := arenas.Get().(*[]byte); ok {
		w.arena = (*a)[:0]
	} else {
		// Sized for a full batch at once: growing it by doubling copied
		// ~16 MB per worker, a sixth of the CPU for a 10 MB object. Pages
		// not yet written are not resident.
		w.arena = make([]byte, 0, loadBatchBytes+loadBatchBytes/8)
	}
	return w
}

// arenas keeps workers' source arenas between chunks: growing a fresh one
// to loadBatchBytes costs page faults on every chunk a container loads.
var arenas sync.Pool

// release hands the worker's arena back once its last batch is sent.
func (w *loadWorker) release() {
	if cap(w.arena) > 0 && cap(w.arena) <= 2*loadBatchBytes {
		a := w.arena[:0]
		arenas.Put(&a)
	}
	w.arena = nil
}

// Enrich implements normalize.Enriching.
func (w *loadWorker) Enrich(o *normalize.Output) {
	def := w.def
	if o.Def != nil {
		def = o.Def // a CloudWatch Logs event routed to its group's type
	}
	for _, e := range w.s.cfg.Enrichers {
		e.Enrich(o.Doc, def)
	}
}

// Document implements normalize.Sink.
func (w *loadWorker) Document(rec format.Record, o normalize.Output, source []byte) error {
	start := len(w.arena)
	w.arena = append(w.arena, source...)
	w.batch = append(w.batch, bulk.Doc{Index: o.Index, ID: o.ID, Record: rec.Num, Source: w.arena[start:len(w.arena):len(w.arena)], Encoded: true})
	if ts, ok := o.Doc["@timestamp"].(string); ok && newer(ts, w.newest) {
		w.newest = ts
	}
	w.counts.Pending++
	if len(w.batch) >= w.s.cfg.IndexBatch || len(w.arena) >= loadBatchBytes {
		return w.flush()
	}
	return nil
}

// DeadLetter implements normalize.Sink.
func (w *loadWorker) DeadLetter(num int, raw []byte, reason string) error {
	w.counts.DeadLettered++
	w.counts.reason(reasonClass(reason))
	w.dead.add("parse", DeadLetter{Record: num, Reason: reason, Raw: string(raw)})
	return nil
}

// Matched implements normalize.Counter.
func (w *loadWorker) Matched(rule string) { w.counts.matched(rule) }

// Skip implements normalize.Sink.
func (w *loadWorker) Skip(num int, reason string) error {
	w.counts.Skipped++
	w.counts.reason(reason)
	return nil
}

func (w *loadWorker) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	var notSent func([]bulk.Doc, error)
	if w.spill {
		notSent = func(docs []bulk.Doc, err error) { w.notSent(docs, err) }
	}
	err := w.s.sendBatchOr(w.ctx, w.batch, &w.counts, func(d DeadLetter) { w.dead.add("index", d) }, notSent)
	if err != nil {
		return err
	}
	w.counts.Pending -= len(w.batch)
	clear(w.batch)
	w.batch, w.arena = w.batch[:0], w.arena[:0]
	return nil
}

// notSent dead-letters documents the indexer failed to take, with their
// encoded source (siem replay re-sends them as they are).
func (w *loadWorker) notSent(docs []bulk.Doc, err error) {
	reason := NotSentReason(err)
	for _, d := range docs {
		w.counts.DeadLettered++
		w.counts.reason(reasonClass(reason))
		w.dead.add("index", DeadLetter{Record: d.Record, Reason: reason, Index: d.Index, ID: d.ID, Doc: append(json.RawMessage(nil), d.Source...)})
	}
}

// NotSentPrefix starts the reason of a document that was never accepted
// because indexing failed for a retryable cause (429, 5xx, connection):
// replaying it later is expected to work.
const NotSentPrefix = "not sent, retryable: "

// NotSentReason is the dead-letter reason of documents an indexing error
// kept from being sent.
func NotSentReason(err error) string {
	var re *bulk.RetryableError
	if errors.As(err, &re) {
		return NotSentPrefix + truncate([]byte(err.Error()), 500)
	}
	return "not sent: " + truncate([]byte(err.Error()), 500)
}

// deadLetters collects the dead letters of a chunk (or of an object) by
// step; the workers of LoadObject share it. They are written in record
// order, whatever worker met them first.
type deadLetters struct {
	mu           sync.Mutex
	parse, index []DeadLetter
	src, logType string
	now          string
}

func newDeadLetters(c Chunk, now time.Time) *deadLetters {
	return &deadLetters{src: "s3://" + c.Source.Bucket + "/" + c.Source.Key, logType: c.LogType, now: normalize.FormatTime(now)}
}

func (d *deadLetters) add(step string, dl DeadLetter) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dl.Step, dl.Source, dl.LogType, dl.Time = step, d.src, d.logType, d.now
	if step == "index" {
		d.index = append(d.index, dl)
	} else {
		d.parse = append(d.parse, dl)
	}
}

func (s *Steps) putDeadLetters(ctx context.Context, c Chunk, d *deadLetters) error {
	for _, f := range []struct {
		step string
		dead []DeadLetter
	}{{"parse", d.parse}, {"index", d.index}} {
		if len(f.dead) == 0 {
			continue
		}
		slices.SortStableFunc(f.dead, func(a, b DeadLetter) int { return cmp.Compare(a.Record, b.Record) })
		lines := newGzLines()
		for _, dl := range f.dead {
			lines.add(dl)
		}
		if err := s.cfg.Store.Put(ctx, s.cfg.StagingBucket, deadLetterKey(f.step, c), lines.bytes()); err != nil {
			return storeError(err)
		}
	}
	return nil
}
