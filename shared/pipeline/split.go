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
	if magic, _ := head.Peek(4); wholeObject(magic) {
		// Parquet (the only format read whole) is cut by row groups and
		// nothing is staged: each chunk range-reads its own row groups
		// from the source.
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

// wholeObject says the object's first bytes are those of a format that is
// not read as a stream (format.Format.WholeObject: Parquet).
func wholeObject(magic []byte) bool {
	f := format.Sniff(magic)
	return f != nil && f.WholeObject()
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
