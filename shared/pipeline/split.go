package pipeline

// The split step: decide what an object is and cut it into chunks.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/parquet"
)

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
// log type and size, or the reason it is skipped. The checks run cheapest
// first, so a skipped object costs no S3 call.
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
	def, err := s.logType(in, src)
	if err != nil {
		return SplitOutput{}, nil, 0, err
	}
	if def == nil {
		return skip(SkipUnknownType)
	}
	out.LogType = def.Name
	if re := def.IgnoredRegexp(); re != nil && re.MatchString(src.Key) {
		return skip(SkipIgnoredKey)
	}
	size, err := s.objectSize(ctx, in, src)
	if err != nil {
		return SplitOutput{}, nil, 0, err
	}
	if size == 0 {
		return skip(SkipEmpty)
	}
	return out, def, size, nil
}

// logType is the log type the input names, or else the one the key
// matches (nil when none does: the object is skipped, not an error). A
// named type that does not exist is the caller's mistake: an error.
func (s *Steps) logType(in SplitInput, src ObjectRef) (*logtype.Definition, error) {
	if in.LogType == "" {
		return s.cfg.Registry.Detect(src.Key), nil
	}
	def := s.cfg.Registry.Get(in.LogType)
	if def == nil {
		return nil, fmt.Errorf("unknown log type %q", in.LogType)
	}
	return def, nil
}

// objectSize is the size the input gives (the event's object size, or
// size beside {bucket, key}); only an input without one costs a HEAD.
func (s *Steps) objectSize(ctx context.Context, in SplitInput, src ObjectRef) (int64, error) {
	size := int64(-1)
	switch {
	case in.Detail != nil && in.Detail.Object.Size != nil:
		size = *in.Detail.Object.Size
	case in.Detail == nil && in.Size != nil:
		size = *in.Size
	}
	if size >= 0 {
		return size, nil
	}
	info, err := s.cfg.Store.Head(ctx, src.Bucket, src.Key)
	if err != nil {
		return 0, storeError(err)
	}
	return info.Size, nil
}

// Split decides the object's log type and cuts it into chunks.
func (s *Steps) Split(ctx context.Context, in SplitInput) (SplitOutput, error) {
	out, def, size, err := s.plan(ctx, in)
	if err != nil || out.Skipped {
		return out, err
	}
	whole := &Chunk{Source: out.Source, LogType: def.Name, Data: out.Source}
	if size <= s.cfg.InlineMaxBytes {
		// Small enough for one load invocation: the load step reads the
		// object itself and nothing is read here.
		return oneChunk(out, whole), nil
	}
	return s.splitBig(ctx, out, def, whole, size)
}

// oneChunk is the output for an object the load step reads in one piece
// from its source (whole).
func oneChunk(out SplitOutput, whole *Chunk) SplitOutput {
	out.ChunkCount, out.Chunk = 1, whole
	return out
}

// splitBig reads a big object once and cuts it: Parquet by row groups,
// any other format into staged chunks of framed records.
func (s *Steps) splitBig(ctx context.Context, out SplitOutput, def *logtype.Definition, whole *Chunk, size int64) (SplitOutput, error) {
	src := out.Source
	per := s.chunkRecords(def)
	body, err := s.cfg.Store.Get(ctx, src.Bucket, src.Key)
	if err != nil {
		return SplitOutput{}, storeError(err)
	}
	defer body.Close()
	head := bufio.NewReaderSize(body, 64<<10)
	if magic, _ := head.Peek(4); wholeObject(magic) {
		// Parquet (the only format read whole) is cut by row groups and
		// nothing is staged: each chunk range-reads its own row groups
		// from the source, so the stream is not needed.
		body.Close()
		return s.splitParquet(ctx, out, whole, size, per)
	}
	plain, isParquet, err := format.Plain(head)
	if err != nil {
		return SplitOutput{}, fmt.Errorf("s3://%s/%s: %w", src.Bucket, src.Key, err)
	}
	if isParquet {
		// A Parquet file gzipped whole cannot be range-read: the load
		// step reads it in one piece.
		return oneChunk(out, whole), nil
	}
	chunks, err := s.stageChunks(ctx, src, def, format.NewFramer(def, plain), per)
	if err != nil {
		return SplitOutput{}, err
	}
	if chunks == nil {
		// Everything fits in one chunk: load the original object.
		return oneChunk(out, whole), nil
	}
	return s.withManifest(ctx, out, chunks)
}

// stageChunks frames the records and writes them to staging, per records
// to a chunk. It returns nil when they all fit in one chunk: that chunk is
// not written, as the load step reads the original object instead.
func (s *Steps) stageChunks(ctx context.Context, src ObjectRef, def *logtype.Definition, fr format.Framer, per int) ([]Chunk, error) {
	st := &chunkStager{s: s, src: src, logType: def.Name, w: newChunkWriter()}
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			break
		}
		var fe *format.FrameError
		if errors.As(err, &fe) {
			// Framing stopped here: the records before load, and the
			// last chunk says why the rest is unreadable (#E).
			st.w.addError(fe)
			break
		}
		if err != nil {
			return nil, storeError(err)
		}
		st.w.add(rec)
		if st.w.n >= per {
			if err := st.flush(ctx); err != nil {
				return nil, err
			}
		}
	}
	if len(st.chunks) == 0 {
		return nil, nil
	}
	if err := st.flush(ctx); err != nil {
		return nil, err
	}
	return st.chunks, nil
}

// chunkStager writes the chunks of one object to staging as they fill.
type chunkStager struct {
	s       *Steps
	src     ObjectRef
	logType string
	chunks  []Chunk
	w       *chunkWriter
}

// flush writes the filling chunk, if it holds anything, and starts the
// next. Chunk keys are numbered so a retried split overwrites its own.
func (st *chunkStager) flush(ctx context.Context) error {
	if st.w.n == 0 {
		return nil
	}
	seq := len(st.chunks)
	ref := ObjectRef{Bucket: st.s.cfg.StagingBucket, Key: stagingKey("chunks", st.src, fmt.Sprintf("%05d.chunk.gz", seq))}
	if err := st.s.cfg.Store.Put(ctx, ref.Bucket, ref.Key, st.w.bytes()); err != nil {
		return storeError(err)
	}
	st.chunks = append(st.chunks, Chunk{Source: st.src, LogType: st.logType, Data: ref, Staged: true, Seq: seq, Records: st.w.n})
	st.w = newChunkWriter()
	return nil
}

// wholeObject says the object's first bytes are those of a format that is
// not read as a stream (format.Format.WholeObject: Parquet).
func wholeObject(magic []byte) bool {
	f := format.Sniff(magic)
	return f != nil && f.WholeObject()
}

// splitParquet plans chunks of whole row groups of about per rows each.
// A file that cannot be opened is not an error here: it becomes one chunk,
// and the load step dead-letters it with the reason.
func (s *Steps) splitParquet(ctx context.Context, out SplitOutput, whole *Chunk, size int64, per int) (SplitOutput, error) {
	src := whole.Source
	ra, err := blob.NewReaderAt(ctx, s.cfg.Store, src.Bucket, src.Key, size)
	if err != nil {
		return SplitOutput{}, storeError(err)
	}
	f, err := parquet.Open(ra, ra.Size())
	if err != nil {
		return oneChunk(out, whole), nil
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
		return oneChunk(out, whole), nil
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
