package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/siemloader/siem/shared/emf"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/exclude"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/normalize"
	"github.com/siemloader/siem/shared/parquet"
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

// Skip reasons, recorded in SplitOutput.SkipReason and counted by runners.
const (
	SkipFolder      = "key is a folder (ends with /)"
	SkipEmpty       = "object is empty (zero bytes)"
	SkipUnknownType = "no log type matches the key"
	SkipOwnLog      = "object is the loader's own output"
	SkipIgnoredKey  = "key matches the log type's s3_key_ignored"
)

// Source resolves the object an input names. EventBridge and S3 event keys
// are URL-encoded ("+" for space); they are decoded exactly once here.
func (in SplitInput) Source() (ObjectRef, error) {
	if in.Detail != nil && in.Detail.Object.Key != "" {
		key, err := url.QueryUnescape(in.Detail.Object.Key)
		if err != nil {
			return ObjectRef{}, fmt.Errorf("object key %q is not URL-encoded correctly: %w", in.Detail.Object.Key, err)
		}
		return ObjectRef{Bucket: in.Detail.Bucket.Name, Key: key}, nil
	}
	if in.Bucket == "" || in.Key == "" {
		return ObjectRef{}, errors.New("input names no object: want an EventBridge Object Created event or {bucket, key}")
	}
	return ObjectRef{Bucket: in.Bucket, Key: in.Key}, nil
}

// plan is split's decision before reading the object: the object, its
// log type and size, or the reason it is skipped.
func (s *Steps) plan(ctx context.Context, in SplitInput) (SplitOutput, *logtype.Definition, int64, error) {
	src, err := in.Source()
	if err != nil {
		return SplitOutput{}, nil, 0, err
	}
	out := SplitOutput{Source: src}
	skip := func(reason string) (SplitOutput, *logtype.Definition, int64, error) {
		out.Skipped, out.SkipReason = true, reason
		return out, nil, 0, nil
	}
	if strings.HasSuffix(src.Key, "/") {
		return skip(SkipFolder)
	}
	if src.Bucket == s.cfg.StagingBucket || s.cfg.OwnKeys.MatchString(src.Key) {
		return skip(SkipOwnLog)
	}
	var def *logtype.Definition
	if in.LogType != "" {
		if def = s.cfg.Registry.Get(in.LogType); def == nil {
			return SplitOutput{}, nil, 0, fmt.Errorf("unknown log type %q", in.LogType)
		}
	} else if def = s.cfg.Registry.Detect(src.Key); def == nil {
		return skip(SkipUnknownType)
	}
	out.LogType = def.Name
	if re := def.IgnoredRegexp(); re != nil && re.MatchString(src.Key) {
		return skip(SkipIgnoredKey)
	}
	var size int64 = -1
	if in.Detail != nil && in.Detail.Object.Size != nil {
		size = *in.Detail.Object.Size
	} else if in.Detail == nil && in.Size != nil {
		size = *in.Size
	}
	if size < 0 {
		info, err := s.cfg.Store.Head(ctx, src.Bucket, src.Key)
		if err != nil {
			return SplitOutput{}, nil, 0, storeError(err)
		}
		size = info.Size
	}
	if size == 0 {
		return skip(SkipEmpty)
	}
	return out, def, size, nil
}

// Split decides the object's log type and cuts it into chunks.
func (s *Steps) Split(ctx context.Context, in SplitInput) (SplitOutput, error) {
	out, def, size, err := s.plan(ctx, in)
	if err != nil || out.Skipped {
		return out, err
	}
	src := out.Source
	whole := &Chunk{Source: src, LogType: def.Name, Data: src}
	if size <= s.cfg.InlineMaxBytes {
		out.ChunkCount, out.Chunk = 1, whole
		return out, nil
	}

	// Big object: read it once, frame it and write chunks to staging.
	per := s.chunkRecords(def)
	body, err := s.cfg.Store.Get(ctx, src.Bucket, src.Key)
	if err != nil {
		return SplitOutput{}, storeError(err)
	}
	defer body.Close()
	head := bufio.NewReaderSize(body, 64<<10)
	if magic, _ := head.Peek(4); parquet.IsParquet(magic) {
		// Parquet is cut by row groups and nothing is staged: each chunk
		// range-reads its own row groups from the source.
		body.Close()
		return s.splitParquet(ctx, out, whole, size, per)
	}
	plain, isParquet, err := format.Plain(head)
	if err != nil {
		return SplitOutput{}, fmt.Errorf("s3://%s/%s: %w", src.Bucket, src.Key, err)
	}
	if isParquet {
		// A Parquet file gzipped whole cannot be range-read: parse reads
		// it in one piece.
		out.ChunkCount, out.Chunk = 1, whole
		return out, nil
	}
	fr := format.NewFramer(def, plain)
	var chunks []Chunk
	w := newChunkWriter()
	flush := func() error {
		if w.n == 0 {
			return nil
		}
		seq := len(chunks)
		ref := ObjectRef{Bucket: s.cfg.StagingBucket, Key: stagingKey("chunks", src, fmt.Sprintf("%05d.chunk.gz", seq))}
		if err := s.cfg.Store.Put(ctx, ref.Bucket, ref.Key, w.bytes()); err != nil {
			return storeError(err)
		}
		chunks = append(chunks, Chunk{Source: src, LogType: def.Name, Data: ref, Staged: true, Seq: seq, Records: w.n})
		w = newChunkWriter()
		return nil
	}
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			break
		}
		var fe *format.FrameError
		if errors.As(err, &fe) {
			w.addError(fe)
			break
		}
		if err != nil {
			return SplitOutput{}, storeError(err)
		}
		w.add(rec)
		if w.n >= per {
			if err := flush(); err != nil {
				return SplitOutput{}, err
			}
		}
	}
	if len(chunks) == 0 {
		// Everything fits in one chunk: parse the original object.
		out.ChunkCount, out.Chunk = 1, whole
		return out, nil
	}
	if err := flush(); err != nil {
		return SplitOutput{}, err
	}
	return s.withManifest(ctx, out, chunks)
}

// splitParquet plans chunks of whole row groups of about per rows each.
// A file that cannot be opened is not an error here: it becomes one chunk,
// and parse dead-letters it with the reason.
func (s *Steps) splitParquet(ctx context.Context, out SplitOutput, whole *Chunk, size int64, per int) (SplitOutput, error) {
	src := whole.Source
	ra, err := blob.NewReaderAt(ctx, s.cfg.Store, src.Bucket, src.Key, size)
	if err != nil {
		return SplitOutput{}, storeError(err)
	}
	f, err := parquet.Open(ra, ra.Size())
	if err != nil {
		out.ChunkCount, out.Chunk = 1, whole
		return out, nil
	}
	var chunks []Chunk
	groups := f.RowGroups()
	for first := 0; first < len(groups); {
		end, rows := first, 0
		for end < len(groups) && (end == first || rows+int(groups[end].Rows) <= per) {
			rows += int(groups[end].Rows)
			end++
		}
		chunks = append(chunks, Chunk{Source: src, LogType: whole.LogType, Data: src, Seq: len(chunks), Records: rows, RowGroups: &[2]int{first, end}})
		first = end
	}
	if len(chunks) <= 1 {
		out.ChunkCount, out.Chunk = 1, whole
		return out, nil
	}
	return s.withManifest(ctx, out, chunks)
}

// withManifest writes the chunk list the Distributed Map reads and points
// the split output at it.
func (s *Steps) withManifest(ctx context.Context, out SplitOutput, chunks []Chunk) (SplitOutput, error) {
	manifest := ObjectRef{Bucket: s.cfg.StagingBucket, Key: stagingKey("manifests", out.Source, "manifest.json")}
	b, _ := json.Marshal(chunks)
	if err := s.cfg.Store.Put(ctx, manifest.Bucket, manifest.Key, b); err != nil {
		return SplitOutput{}, storeError(err)
	}
	out.ChunkCount, out.Manifest = len(chunks), &manifest
	return out, nil
}

func (s *Steps) chunkRecords(def *logtype.Definition) int {
	if s.cfg.ChunkRecords > 0 {
		return s.cfg.ChunkRecords
	}
	if def.ChunkRecords > 0 {
		return def.ChunkRecords
	}
	return 50000
}

// stagingKey is deterministic so a retried step overwrites its own output.
func stagingKey(kind string, src ObjectRef, name string) string {
	return fmt.Sprintf("staging/%s/%s/%s/%s", kind, src.Bucket, src.Key, name)
}

func deadLetterKey(step string, c Chunk) string {
	return fmt.Sprintf("dead-letter/%s/%s/%s/%05d.ndjson.gz", step, c.Source.Bucket, c.Source.Key, c.Seq)
}

// DeadLetter is one record or document that could not be loaded.
type DeadLetter struct {
	Step    string          `json:"step"`
	Source  string          `json:"source"`
	LogType string          `json:"log_type"`
	Record  int             `json:"record"`
	Reason  string          `json:"reason"`
	Raw     string          `json:"raw,omitempty"`
	Index   string          `json:"index,omitempty"`
	ID      string          `json:"id,omitempty"`
	Doc     json.RawMessage `json:"document,omitempty"`
	Time    string          `json:"time"`
}

type gzLines struct {
	buf bytes.Buffer
	zw  *gzip.Writer
	n   int
}

func newGzLines() *gzLines {
	g := &gzLines{}
	g.zw, _ = gzip.NewWriterLevel(&g.buf, gzip.BestSpeed)
	return g
}

func (g *gzLines) add(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	g.zw.Write(b)
	g.zw.Write([]byte{'\n'})
	g.n++
	return nil
}

// addDoc writes a document line without re-encoding its source.
func (g *gzLines) addDoc(d bulk.Doc) {
	line := make([]byte, 0, len(d.Source)+len(d.Index)+len(d.ID)+48)
	line = append(line, `{"_index":`...)
	line, _ = doc.AppendJSON(line, d.Index)
	line = append(line, `,"_id":`...)
	line, _ = doc.AppendJSON(line, d.ID)
	line = append(line, `,"record":`...)
	line = strconv.AppendInt(line, int64(d.Record), 10)
	line = append(line, `,"_source":`...)
	line = append(line, d.Source...)
	line = append(line, '}', '\n')
	g.zw.Write(line)
	g.n++
}

func (g *gzLines) bytes() []byte {
	g.zw.Close()
	return g.buf.Bytes()
}

func (c *Counts) reason(r string) {
	if c.Reasons == nil {
		c.Reasons = map[string]int{}
	}
	c.Reasons[r]++
}

func (c *Counts) matched(rule string) {
	if c.Matched == nil {
		c.Matched = map[string]int{}
	}
	c.Matched[rule]++
}

// reasonClass shortens a reason to its class for the counts table (the full
// reason is in the dead letter).
func reasonClass(r string) string {
	if i := strings.IndexAny(r, ":("); i > 0 {
		r = r[:i]
	}
	return strings.TrimSpace(r)
}

func (s *Steps) openChunk(ctx context.Context, c Chunk, def *logtype.Definition) (format.Framer, func(), error) {
	if c.RowGroups != nil {
		return s.openRowGroups(ctx, c, def)
	}
	body, err := s.cfg.Store.Get(ctx, c.Data.Bucket, c.Data.Key)
	if err != nil {
		return nil, nil, storeError(err)
	}
	if c.Staged {
		cr, err := newChunkReader(body)
		if err != nil {
			body.Close()
			return nil, nil, err
		}
		return cr, func() { body.Close() }, nil
	}
	fr, err := format.OpenObject(def, body)
	if err != nil {
		body.Close()
		return nil, nil, fmt.Errorf("s3://%s/%s: %w", c.Data.Bucket, c.Data.Key, err)
	}
	return fr, func() { body.Close() }, nil
}

// openRowGroups frames a Parquet chunk's row groups with range reads.
func (s *Steps) openRowGroups(ctx context.Context, c Chunk, def *logtype.Definition) (format.Framer, func(), error) {
	info, err := s.cfg.Store.Head(ctx, c.Data.Bucket, c.Data.Key)
	if err != nil {
		return nil, nil, storeError(err)
	}
	ra, err := blob.NewReaderAt(ctx, s.cfg.Store, c.Data.Bucket, c.Data.Key, info.Size)
	if err != nil {
		return nil, nil, storeError(err)
	}
	f, err := parquet.Open(ra, ra.Size())
	if err != nil {
		return format.Failed(err), func() {}, nil
	}
	first, end := c.RowGroups[0], c.RowGroups[1]
	if first < 0 || end > len(f.RowGroups()) || first >= end {
		return format.Failed(fmt.Errorf("chunk names row groups %d-%d but the file has %d (was the object replaced?)", first, end, len(f.RowGroups()))), func() {}, nil
	}
	return format.NewParquetFramer(def, f, first, end), func() {}, nil
}

// Parse turns a chunk's records into ECS documents in staging.
func (s *Steps) Parse(ctx context.Context, c Chunk) (StepOutput, error) {
	def := s.cfg.Registry.Get(c.LogType)
	if def == nil {
		return StepOutput{}, fmt.Errorf("unknown log type %q", c.LogType)
	}
	fr, closeFn, err := s.openChunk(ctx, c, def)
	if err != nil {
		return StepOutput{}, err
	}
	defer closeFn()
	now := s.cfg.Now()
	norm := normalize.New(def, normalize.Source{Bucket: c.Source.Bucket, Key: c.Source.Key}, now).Routing(s.cfg.Registry).Excluding(s.cfg.Exclusions)
	docs, dead := newGzLines(), newGzLines()
	out := StepOutput{Chunk: c}
	srcURI := "s3://" + c.Source.Bucket + "/" + c.Source.Key
	sink := &parseSink{out: &out, docs: docs, dead: dead, src: srcURI, logType: def.Name, now: normalize.FormatTime(now)}
	n, err := normalize.Records(def, fr, norm, sink)
	out.Counts.RecordsIn = n
	if err != nil {
		return StepOutput{}, storeError(err)
	}
	out.Docs = ObjectRef{Bucket: s.cfg.StagingBucket, Key: stagingKey("docs", c.Source, fmt.Sprintf("%05d.parsed.ndjson.gz", c.Seq))}
	if err := s.cfg.Store.Put(ctx, out.Docs.Bucket, out.Docs.Key, docs.bytes()); err != nil {
		return StepOutput{}, storeError(err)
	}
	if dead.n > 0 {
		if err := s.cfg.Store.Put(ctx, s.cfg.StagingBucket, deadLetterKey("parse", c), dead.bytes()); err != nil {
			return StepOutput{}, storeError(err)
		}
	}
	return out, nil
}

// parseSink collects the parse step's documents and dead letters.
type parseSink struct {
	out          *StepOutput
	docs, dead   *gzLines
	src, logType string
	now          string
}

func (p *parseSink) Document(rec format.Record, o normalize.Output, source []byte) error {
	p.docs.addDoc(bulk.Doc{Index: o.Index, ID: o.ID, Record: rec.Num, Source: source})
	p.out.Counts.Pending++
	return nil
}

func (p *parseSink) DeadLetter(num int, raw []byte, reason string) error {
	p.out.Counts.DeadLettered++
	p.out.Counts.reason(reasonClass(reason))
	return p.dead.add(DeadLetter{Step: "parse", Source: p.src, LogType: p.logType, Record: num, Reason: reason, Raw: string(raw), Time: p.now})
}

// Matched implements normalize.Counter.
func (p *parseSink) Matched(rule string) { p.out.Counts.matched(rule) }

func (p *parseSink) Skip(num int, reason string) error {
	p.out.Counts.Skipped++
	p.out.Counts.reason(reason)
	return nil
}

// FailChunk dead-letters every record of a chunk whose processing failed
// for good, with the state machine's error as the reason.
func (s *Steps) FailChunk(ctx context.Context, f ChunkFailure) (StepOutput, error) {
	c := f.Chunk
	def := s.cfg.Registry.Get(c.LogType)
	if def == nil {
		return StepOutput{}, fmt.Errorf("unknown log type %q", c.LogType)
	}
	reason := "chunk failed after retries: " + f.Error.Error
	if f.Error.Cause != "" {
		reason += ": " + truncate([]byte(f.Error.Cause), 2000)
	}
	out := StepOutput{Chunk: c}
	dead := newGzLines()
	now := normalize.FormatTime(s.cfg.Now())
	srcURI := "s3://" + c.Source.Bucket + "/" + c.Source.Key
	fr, closeFn, err := s.openChunk(ctx, c, def)
	if err != nil {
		return StepOutput{}, err
	}
	defer closeFn()
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			break
		}
		var fe *format.FrameError
		if errors.As(err, &fe) {
			out.Counts.RecordsIn++
			out.Counts.DeadLettered++
			dead.add(DeadLetter{Step: "chunk", Source: srcURI, LogType: def.Name, Record: fe.Num, Reason: reason + "; then unreadable: " + fe.Err.Error(), Time: now})
			break
		}
		if err != nil {
			return StepOutput{}, storeError(err)
		}
		out.Counts.RecordsIn++
		if rec.Skip != "" {
			// Not a record to load in the first place: still a skip.
			out.Counts.Skipped++
			out.Counts.reason(rec.Skip)
			continue
		}
		out.Counts.DeadLettered++
		dead.add(DeadLetter{Step: "chunk", Source: srcURI, LogType: def.Name, Record: rec.Num, Reason: reason, Raw: string(rec.Raw), Time: now})
	}
	out.Counts.reason(reasonClass(reason))
	if err := s.cfg.Store.Put(ctx, s.cfg.StagingBucket, deadLetterKey("chunk", c), dead.bytes()); err != nil {
		return StepOutput{}, storeError(err)
	}
	return out, nil
}

func (s *Steps) readDocs(ctx context.Context, ref ObjectRef, fn func(bulk.Doc) error) error {
	body, err := s.cfg.Store.Get(ctx, ref.Bucket, ref.Key)
	if err != nil {
		return storeError(err)
	}
	defer body.Close()
	zr, err := gzip.NewReader(body)
	if err != nil {
		return fmt.Errorf("s3://%s/%s: %w", ref.Bucket, ref.Key, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var d bulk.Doc
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return fmt.Errorf("s3://%s/%s: %w", ref.Bucket, ref.Key, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Enrich runs the enrichers over a parsed document file.
func (s *Steps) Enrich(ctx context.Context, in StepOutput) (StepOutput, error) {
	if len(s.cfg.Enrichers) == 0 || in.Counts.Pending == 0 {
		return in, nil
	}
	def := s.cfg.Registry.Get(in.Chunk.LogType)
	if def == nil {
		return StepOutput{}, fmt.Errorf("unknown log type %q", in.Chunk.LogType)
	}
	w := newGzLines()
	err := s.readDocs(ctx, in.Docs, func(d bulk.Doc) error {
		v, err := doc.Decode(d.Source)
		if err != nil {
			return fmt.Errorf("document %s: %w", d.ID, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("document %s is not a JSON object", d.ID)
		}
		ddef := def
		if lt, _ := m["@log_type"].(string); lt != def.Name {
			// A CloudWatch Logs event routed to its log group's type.
			if rd := s.cfg.Registry.Get(lt); rd != nil {
				ddef = rd
			}
		}
		for _, e := range s.cfg.Enrichers {
			e.Enrich(m, ddef)
		}
		b, err := doc.AppendJSON(nil, m)
		if err != nil {
			return fmt.Errorf("document %s: %w", d.ID, err)
		}
		d.Source = b
		w.addDoc(d)
		return nil
	})
	if err != nil {
		return StepOutput{}, err
	}
	out := in
	out.Docs = ObjectRef{Bucket: s.cfg.StagingBucket, Key: stagingKey("docs", in.Chunk.Source, fmt.Sprintf("%05d.enriched.ndjson.gz", in.Chunk.Seq))}
	if err := s.cfg.Store.Put(ctx, out.Docs.Bucket, out.Docs.Key, w.bytes()); err != nil {
		return StepOutput{}, storeError(err)
	}
	return out, nil
}

// Index bulk-loads a document file. Retryable failures return a
// *bulk.RetryableError (the state machine retries the step; ids are
// deterministic, so re-sent documents overwrite themselves); refused
// documents are dead-lettered with OpenSearch's reason.
func (s *Steps) Index(ctx context.Context, in StepOutput) (StepOutput, error) {
	out := in
	if in.Counts.Pending == 0 {
		return out, nil
	}
	if s.cfg.Indexer == nil {
		return StepOutput{}, errNoIndexer
	}
	dead := newGzLines()
	now := normalize.FormatTime(s.cfg.Now())
	srcURI := "s3://" + in.Chunk.Source.Bucket + "/" + in.Chunk.Source.Key
	batch := make([]bulk.Doc, 0, s.cfg.IndexBatch)
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.sendBatch(ctx, batch, &out.Counts, func(d DeadLetter) {
			d.Source, d.LogType, d.Time = srcURI, in.Chunk.LogType, now
			dead.add(d)
		})
		batch = batch[:0]
		return err
	}
	err := s.readDocs(ctx, in.Docs, func(d bulk.Doc) error {
		batch = append(batch, d)
		if len(batch) >= s.cfg.IndexBatch {
			return send()
		}
		return nil
	})
	if err == nil {
		err = send()
	}
	if err != nil {
		return StepOutput{}, err
	}
	out.Counts.Pending = 0
	if dead.n > 0 {
		if err := s.cfg.Store.Put(ctx, s.cfg.StagingBucket, deadLetterKey("index", in.Chunk), dead.bytes()); err != nil {
			return StepOutput{}, storeError(err)
		}
	}
	return out, nil
}

// sendBatch indexes a batch and counts the outcome; documents refused for
// good become dead letters (dead gets them without source, log type and
// time, which the caller adds). A read-only index (disk watermark, a manual
// block) sends its documents to the next index of the same name: <index>_02,
// _03...
func (s *Steps) sendBatch(ctx context.Context, batch []bulk.Doc, counts *Counts, dead func(DeadLetter)) error {
	return s.sendBatchOr(ctx, batch, counts, dead, nil)
}

// sendBatchOr is sendBatch that, when notSent is not nil, hands it the
// documents an indexing error kept from being sent instead of failing.
func (s *Steps) sendBatchOr(ctx context.Context, batch []bulk.Doc, counts *Counts, dead func(DeadLetter), notSent func([]bulk.Doc, error)) error {
	res, err := s.cfg.Indexer.Index(ctx, batch)
	if err != nil {
		if notSent == nil {
			return err
		}
		if !res.Accounted(len(batch)) {
			notSent(batch, err)
			return nil
		}
		// What was indexed or refused stays so; only the rest is not sent.
		notSent(res.NotSent, err)
	}
	counts.Indexed += res.Indexed
	failed := res.Failed
	for attempt := 0; attempt < maxRedirects && len(failed) > 0; attempt++ {
		var redirect []bulk.Doc
		var keep []bulk.Failure
		for _, f := range failed {
			if readOnly(f) {
				f.Doc.Index = nextIndex(f.Doc.Index)
				redirect = append(redirect, f.Doc)
			} else {
				keep = append(keep, f)
			}
		}
		if len(redirect) == 0 {
			break
		}
		slog.Warn("index read-only: documents redirected", "to", redirect[0].Index, "documents", len(redirect))
		res, err := s.cfg.Indexer.Index(ctx, redirect)
		if err != nil {
			if notSent == nil {
				return err
			}
			if !res.Accounted(len(redirect)) {
				notSent(redirect, err)
				failed = keep
				break
			}
			notSent(res.NotSent, err)
		}
		counts.Indexed += res.Indexed
		failed = append(keep, res.Failed...)
	}
	for _, f := range failed {
		counts.DeadLettered++
		counts.reason(fmt.Sprintf("OpenSearch %d %s", f.Status, f.Type))
		dead(DeadLetter{Step: "index", Record: f.Doc.Record, Reason: fmt.Sprintf("OpenSearch %d %s: %s", f.Status, f.Type, f.Reason), Index: f.Doc.Index, ID: f.Doc.ID, Doc: append(json.RawMessage(nil), f.Doc.Source...)})
	}
	return nil
}

// maxRedirects bounds the read-only redirections of one batch.
const maxRedirects = 5

// readOnly reports a refusal because the index is blocked for writes.
func readOnly(f bulk.Failure) bool {
	if f.Type != "cluster_block_exception" {
		return false
	}
	r := strings.ToLower(f.Reason)
	return strings.Contains(r, "read-only") || strings.Contains(r, "read_only") || strings.Contains(r, "index write")
}

var redirectSuffix = regexp.MustCompile(`^(.*)_(\d{2})$`)

// nextIndex is the index a read-only one's documents go to:
// log-aws-waf-2024-03 -> log-aws-waf-2024-03_02 -> ..._03.
func nextIndex(name string) string {
	if m := redirectSuffix.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[2])
		return fmt.Sprintf("%s_%02d", m[1], n+1)
	}
	return name + "_02"
}

// Summarize adds up the results of a Map run. Items are the children's
// counts ({"counts": ...}, or whole step outputs) or the state machine's
// failure markers ({"failed": true, "counts": ...}).
func Summarize(items []json.RawMessage) (Summary, error) {
	var sum Summary
	for i, raw := range items {
		var it struct {
			StepOutput
			Failed bool `json:"failed"`
		}
		if err := json.Unmarshal(raw, &it); err != nil {
			return Summary{}, fmt.Errorf("map result %d: %w", i, err)
		}
		so := it.StepOutput
		if sum.LogType == "" {
			sum.Source, sum.LogType = so.Chunk.Source, so.Chunk.LogType
		}
		sum.Chunks++
		if it.Failed {
			sum.FailedChunks++
		}
		sum.Counts.Add(so.Counts)
	}
	return sum, nil
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.RecordsIn += o.RecordsIn
	c.Pending += o.Pending
	c.Indexed += o.Indexed
	c.DeadLettered += o.DeadLettered
	c.Skipped += o.Skipped
	for k, v := range o.Reasons {
		if c.Reasons == nil {
			c.Reasons = map[string]int{}
		}
		c.Reasons[k] += v
	}
	for k, v := range o.Matched {
		if c.Matched == nil {
			c.Matched = map[string]int{}
		}
		c.Matched[k] += v
	}
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
