package blob

import (
	"context"
	"io"
	"testing"
)

// A ReaderAt over a store with range reads fetches the tail once, serves
// reads inside prefetched spans without requests, and keeps only the tail
// and the latest span.
func TestReaderAtRanges(t *testing.T) {
	// A directory store (this internal test cannot use blobtest.Memory,
	// which imports this package); it has range reads too.
	m := Dir{Root: t.TempDir()}
	data := make([]byte, 200<<10)
	for i := range data {
		data[i] = byte(i % 251)
	}
	m.Put(context.Background(), "b", "k", data)
	r, err := NewReaderAt(context.Background(), m, "b", "k", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 1 {
		t.Fatalf("%d requests to open, want 1 (the tail)", r.Requests)
	}
	buf := make([]byte, 100)
	if _, err := r.ReadAt(buf, int64(len(data))-100); err != nil || buf[0] != data[len(data)-100] || r.Requests != 1 {
		t.Errorf("tail read: %v, %d requests", err, r.Requests)
	}
	r.Prefetch(1000, 5000)
	r.Prefetch(10000, 5000)
	if len(r.spans) != 2 || r.spans[1].off != 10000 {
		t.Errorf("spans kept: %d", len(r.spans))
	}
	n := r.Requests
	if _, err := r.ReadAt(buf, 12000); err != nil || buf[0] != data[12000] || r.Requests != n {
		t.Errorf("read in a span: %v, %d requests", err, r.Requests-n)
	}
	if _, err := r.ReadAt(buf, 500); err != nil || buf[0] != data[500] || r.Requests != n+1 {
		t.Errorf("read outside spans: %v, %d requests", err, r.Requests-n)
	}
	if got, err := r.ReadAt(buf, int64(len(data))-10); got != 10 || err != io.EOF {
		t.Errorf("read past the end: %d, %v", got, err)
	}
	// Without range reads the object is read once.
	d, err := NewReaderAt(context.Background(), noRanges{m}, "b", "k", int64(len(data)))
	if err != nil || d.Requests != 1 {
		t.Fatalf("%v, %d requests", err, d.Requests)
	}
	if _, err := d.ReadAt(buf, 7); err != nil || buf[0] != data[7] {
		t.Errorf("in-memory read: %v", err)
	}
}

type noRanges struct{ Store }
