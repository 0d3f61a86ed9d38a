package bulk

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FileSink appends each document's source to DIR/<index>.ndjson.
type FileSink struct {
	dir   string
	mu    sync.Mutex
	files map[string]*os.File
	bufs  map[string]*bufio.Writer
}

// NewFileSink returns a sink writing under dir.
func NewFileSink(dir string) *FileSink {
	return &FileSink{dir: dir, files: map[string]*os.File{}, bufs: map[string]*bufio.Writer{}}
}

// Index implements Indexer.
func (f *FileSink) Index(_ context.Context, docs []Doc) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var res Result
	for _, d := range docs {
		if d.Index == "." || d.Index == ".." || strings.ContainsAny(d.Index, `/\`) {
			// OpenSearch refuses such names too (invalid_index_name_exception).
			res.Failed = append(res.Failed, Failure{Doc: d, Status: 400, Type: "invalid_index_name_exception", Reason: fmt.Sprintf("index name %q cannot be a file name", d.Index)})
			continue
		}
		src := []byte(d.Source)
		if !d.Encoded || d.Index == "" || len(src)+len(d.Index)+len(d.ID)+32 > MaxBodyLimit {
			// What the bulk body would refuse, refused alike.
			e, fail := prepare(&d)
			if fail != nil {
				res.Failed = append(res.Failed, *fail)
				continue
			}
			src = e.data[bytes.IndexByte(e.data, '\n')+1 : len(e.data)-1]
		}
		w, ok := f.bufs[d.Index]
		if !ok {
			if err := os.MkdirAll(f.dir, 0o755); err != nil {
				return res, err
			}
			fh, err := os.OpenFile(filepath.Join(f.dir, d.Index+".ndjson"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return res, err
			}
			f.files[d.Index] = fh
			w = bufio.NewWriterSize(fh, 256<<10)
			f.bufs[d.Index] = w
		}
		w.Write(src)
		if err := w.WriteByte('\n'); err != nil {
			return res, fmt.Errorf("file sink: writing %s: %w", f.files[d.Index].Name(), err)
		}
		res.Indexed++
	}
	res.Requests = 1
	return res, nil
}

// Close flushes and closes every file.
func (f *FileSink) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first error
	for k, w := range f.bufs {
		if err := w.Flush(); err != nil && first == nil {
			first = err
		}
		if err := f.files[k].Close(); err != nil && first == nil {
			first = err
		}
	}
	f.files, f.bufs = map[string]*os.File{}, map[string]*bufio.Writer{}
	return first
}
