package pipeline

// Reading a chunk's records, for load and for FailChunk (the Catch that
// dead-letters a chunk whole).

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/normalize"
	"github.com/siemloader/siem/shared/parquet"
)

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
