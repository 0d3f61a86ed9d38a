package blob

import (
	"context"
	"io"
	"os"
	"sync"
)

// RangeReader is a Store that can read part of an object. Columnar files
// (Parquet) are read this way: the footer, then only the row groups a
// chunk needs.
type RangeReader interface {
	GetRange(ctx context.Context, bucket, key string, off, n int64) ([]byte, error)
}

func (d Dir) GetRange(_ context.Context, bucket, key string, off, n int64) ([]byte, error) {
	p, err := d.path(bucket, key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := f.ReadAt(b, off)
	if err == io.EOF {
		err = nil
	}
	return b[:m], err
}

// ReaderAt reads an object of known size at random offsets: with range
// reads when the store has them, else from one full read kept in memory.
// Prefetched spans are kept so the many small reads of a decoder cost one
// request. Reads are counted (Requests) so tests can check the pattern.
type ReaderAt struct {
	ctx         context.Context
	store       Store
	bucket, key string
	size        int64

	mu       sync.Mutex
	spans    []span
	Requests int
}

type span struct {
	off  int64
	data []byte
}

// tailBytes is read first: Parquet footers usually fit, so opening a file
// costs one request.
const tailBytes = 64 << 10

// NewReaderAt returns a ReaderAt over s3://bucket/key of size bytes.
func NewReaderAt(ctx context.Context, store Store, bucket, key string, size int64) (*ReaderAt, error) {
	r := &ReaderAt{ctx: ctx, store: store, bucket: bucket, key: key, size: size}
	if _, ok := store.(RangeReader); !ok {
		body, err := store.Get(ctx, bucket, key)
		if err != nil {
			return nil, err
		}
		defer body.Close()
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		r.spans = []span{{0, b}}
		r.size = int64(len(b))
		r.Requests = 1
		return r, nil
	}
	r.Prefetch(max(0, size-tailBytes), min(size, tailBytes))
	return r, nil
}

// Size is the object's size.
func (r *ReaderAt) Size() int64 { return r.size }

// Prefetch reads [off, off+n) in one request and keeps it.
func (r *ReaderAt) Prefetch(off, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cached(off, n) != nil || n <= 0 {
		return
	}
	b, err := r.store.(RangeReader).GetRange(r.ctx, r.bucket, r.key, off, n)
	r.Requests++
	if err == nil {
		// Keep the first span (the file's tail, where Parquet keeps its
		// footer) and this one: a reader moving through row groups holds
		// one group in memory, not all it has read.
		if len(r.spans) > 1 {
			r.spans = r.spans[:1]
		}
		r.spans = append(r.spans, span{off, b})
	}
}

func (r *ReaderAt) cached(off, n int64) []byte {
	for _, s := range r.spans {
		if off >= s.off && off+n <= s.off+int64(len(s.data)) {
			return s.data[off-s.off : off-s.off+n]
		}
	}
	return nil
}

func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	short := false
	if off+n > r.size {
		n, short = r.size-off, true
	}
	r.mu.Lock()
	b := r.cached(off, n)
	r.mu.Unlock()
	if b == nil {
		rr, ok := r.store.(RangeReader)
		if !ok {
			return 0, io.ErrUnexpectedEOF
		}
		var err error
		if b, err = rr.GetRange(r.ctx, r.bucket, r.key, off, n); err != nil {
			return 0, err
		}
		r.mu.Lock()
		r.Requests++
		r.mu.Unlock()
	}
	c := copy(p, b)
	if short || int64(c) < int64(len(p)) {
		return c, io.EOF
	}
	return c, nil
}
