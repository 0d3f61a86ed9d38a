package parquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/xitongsys/parquet-go/layout"
	pq "github.com/xitongsys/parquet-go/parquet"
	"github.com/xitongsys/parquet-go/reader"
	"github.com/xitongsys/parquet-go/schema"
	"github.com/xitongsys/parquet-go/source"
)

// xfile implements File with xitongsys/parquet-go's page decoding.
type xfile struct {
	r      io.ReaderAt
	size   int64
	footer *pq.FileMetaData
	sh     *schema.SchemaHandler
	root   *node
	leaves []*leaf
	groups []RowGroup
}

// maxSchemaDepth bounds nesting so a crafted schema cannot exhaust the
// stack; real log schemas (OCSF) stay under 10.
const maxSchemaDepth = 64

func openXitongsys(r io.ReaderAt, size int64) (f File, err error) {
	col := ""
	defer recoverDecoder(&err, -1, &col)
	if size < 12 {
		return nil, &CorruptError{RowGroup: -1, Err: fmt.Errorf("file has %d bytes; a Parquet file has at least 12", size)}
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if !IsParquet(head[:]) {
		return nil, &CorruptError{RowGroup: -1, Err: fmt.Errorf("file does not start with %q", Magic)}
	}
	if string(tail[4:]) != Magic {
		return nil, &CorruptError{RowGroup: -1, Err: fmt.Errorf("file does not end with %q: truncated or still being written", Magic)}
	}
	footerLen := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footerLen == 0 || footerLen > size-12 {
		return nil, &CorruptError{RowGroup: -1, Err: fmt.Errorf("footer length %d does not fit in a %d-byte file", footerLen, size)}
	}
	buf := make([]byte, footerLen)
	if _, err := r.ReadAt(buf, size-8-footerLen); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	// Lists and strings in the footer cannot claim more than the footer
	// holds: a corrupt length fails here instead of allocating gigabytes.
	trans := thrift.NewStreamTransportR(bytes.NewReader(buf))
	proto := thrift.NewTCompactProtocolConf(trans, &thrift.TConfiguration{MaxMessageSize: int32(footerLen)})
	footer := pq.NewFileMetaData()
	if err := footer.Read(context.Background(), proto); err != nil {
		return nil, &CorruptError{RowGroup: -1, Err: err}
	}
	x := &xfile{r: r, size: size, footer: footer}
	if err := x.build(size - 8 - footerLen); err != nil {
		return nil, &CorruptError{RowGroup: -1, Err: err}
	}
	return x, nil
}

// build checks the footer against the file and prepares the schema tree
// and the library's schema handler.
func (x *xfile) build(dataEnd int64) error {
	if len(x.footer.Schema) == 0 {
		return errors.New("no schema")
	}
	pos := 0
	root, err := buildNode(x.footer.Schema, &pos, 0)
	if err != nil {
		return err
	}
	if pos != len(x.footer.Schema) {
		return fmt.Errorf("schema has %d elements but its tree uses %d", len(x.footer.Schema), pos)
	}
	x.root = root
	root.levels(0, 0, nil, &x.leaves, true)
	if len(x.leaves) == 0 {
		return errors.New("schema has no columns")
	}
	for gi, g := range x.footer.RowGroups {
		if g == nil || len(g.Columns) != len(x.leaves) {
			return fmt.Errorf("row group %d has %d column chunks for %d columns", gi, columnCount(g), len(x.leaves))
		}
		if g.NumRows < 0 {
			return fmt.Errorf("row group %d has %d rows", gi, g.NumRows)
		}
		lo, hi := int64(-1), int64(-1)
		for ci, c := range g.Columns {
			if c == nil || c.MetaData == nil {
				return fmt.Errorf("row group %d column %d has no metadata", gi, ci)
			}
			if c.FilePath != nil {
				return fmt.Errorf("row group %d column %d lives in another file (%s)", gi, ci, *c.FilePath)
			}
			md := c.MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset != nil && *md.DictionaryPageOffset > 0 && *md.DictionaryPageOffset < start {
				start = *md.DictionaryPageOffset
			}
			end := start + md.TotalCompressedSize
			if start < 4 || md.TotalCompressedSize < 0 || end > dataEnd || end < start {
				return fmt.Errorf("row group %d column %s: bytes %d-%d are outside the data (4-%d)", gi, x.leaves[ci].name, start, end, dataEnd)
			}
			if md.NumValues < 0 {
				return fmt.Errorf("row group %d column %s: %d values", gi, x.leaves[ci].name, md.NumValues)
			}
			if lo < 0 || start < lo {
				lo = start
			}
			if end > hi {
				hi = end
			}
		}
		x.groups = append(x.groups, RowGroup{Rows: g.NumRows, Offset: lo, Size: hi - lo})
	}
	// The library addresses columns by "in-names" (Go identifiers made from
	// the column names) and rewrites the footer's paths to them.
	x.sh = schema.NewSchemaHandlerFromSchemaList(x.footer.Schema)
	if len(x.sh.MapIndex) != len(x.footer.Schema) {
		return errors.New("column names collide once made identifiers (e.g. \"a-b\" and \"a45b\"); this reader cannot tell them apart")
	}
	pr := &reader.ParquetReader{SchemaHandler: x.sh, Footer: x.footer}
	pr.RenameSchema()
	for _, l := range x.leaves {
		l.inPath = x.sh.IndexMap[int32(l.schemaIndex)]
	}
	return nil
}

func columnCount(g *pq.RowGroup) int {
	if g == nil {
		return 0
	}
	return len(g.Columns)
}

func (x *xfile) NumRows() int64 {
	var n int64
	for _, g := range x.groups {
		n += g.Rows
	}
	return n
}

func (x *xfile) RowGroups() []RowGroup { return x.groups }

func (x *xfile) Columns() []string {
	names := make([]string, len(x.root.children))
	for i, c := range x.root.children {
		names[i] = c.name
	}
	return names
}

func (x *xfile) Rows(first, end int) RowReader {
	it := &rowIter{x: x, g: first, end: end}
	if first < 0 || end > len(x.groups) || first > end {
		it.err = fmt.Errorf("row groups %d-%d: the file has %d", first, end, len(x.groups))
	}
	return it
}

// rowIter decodes one batch of rows at a time: memory holds a batch, not
// a whole row group (writers make groups of up to a million rows).
type rowIter struct {
	x      *xfile
	g, end int
	cbs    []*reader.ColumnBufferType // decoders of group g, nil between groups
	done   int64                      // rows of group g decoded so far
	batch  []Row
	err    error
}

func (it *rowIter) Next() (Row, error) {
	x := it.x
	for len(it.batch) == 0 {
		if it.err != nil {
			return nil, it.err
		}
		if it.cbs == nil {
			if it.g >= it.end {
				return nil, io.EOF
			}
			if p, ok := x.r.(prefetcher); ok {
				p.Prefetch(x.groups[it.g].Offset, x.groups[it.g].Size)
			}
			if it.cbs, it.err = x.openGroup(it.g); it.err != nil {
				continue
			}
			it.done = 0
		}
		rows := x.groups[it.g].Rows
		if it.done >= rows {
			it.cbs = nil
			it.g++
			continue
		}
		n := min(batchRows, rows-it.done)
		tables, err := x.readBatch(it.g, it.cbs, n)
		if err != nil {
			it.err = err
			continue
		}
		it.batch = it.batch[:0]
		if it.err = x.emit(it.g, tables, it.done, n, func(r Row) error {
			it.batch = append(it.batch, r)
			return nil
		}); it.err != nil {
			it.batch = nil
			continue
		}
		it.done += n
	}
	r := it.batch[0]
	it.batch[0] = nil
	it.batch = it.batch[1:]
	return r, nil
}

// batchRows is how many rows are decoded at a time.
const batchRows = 8192

// prefetcher is a reader that can fetch a byte span in one request (an S3
// range read) before the library's many small reads.
type prefetcher interface {
	Prefetch(off, n int64)
}

// openGroup checks every column chunk of row group g and returns a
// decoder per column.
func (x *xfile) openGroup(g int) (cbs []*reader.ColumnBufferType, err error) {
	col := ""
	defer recoverDecoder(&err, g, &col)
	rows := x.groups[g].Rows
	one := *x.footer
	one.RowGroups = []*pq.RowGroup{x.footer.RowGroups[g]}
	pf := &atFile{r: x.r, size: x.size}
	cbs = make([]*reader.ColumnBufferType, len(x.leaves))
	for i, l := range x.leaves {
		col = l.name
		md := x.footer.RowGroups[g].Columns[i].MetaData
		start := md.DataPageOffset
		if md.DictionaryPageOffset != nil && *md.DictionaryPageOffset > 0 && *md.DictionaryPageOffset < start {
			start = *md.DictionaryPageOffset
		}
		data := make([]byte, md.TotalCompressedSize)
		if _, err := x.r.ReadAt(data, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		last := l.path[len(l.path)-1]
		if err := checkChunk(data, md, rows, last.repl, last.def); err != nil {
			return nil, &CorruptError{RowGroup: g, Column: col, Err: err}
		}
		if cbs[i], err = reader.NewColumnBuffer(pf, &one, x.sh, l.inPath); err != nil {
			return nil, &CorruptError{RowGroup: g, Column: col, Err: err}
		}
	}
	return cbs, nil
}

// readBatch decodes the next n rows of every column.
func (x *xfile) readBatch(g int, cbs []*reader.ColumnBufferType, n int64) (tables []*layout.Table, err error) {
	col := ""
	defer recoverDecoder(&err, g, &col)
	tables = make([]*layout.Table, len(cbs))
	for i, cb := range cbs {
		col = x.leaves[i].name
		t, got := cb.ReadRows(n)
		if t != nil {
			got = countRows(t)
		}
		if got != n {
			return nil, &CorruptError{RowGroup: g, Column: col, Err: fmt.Errorf("only %d of %d rows are readable", got, n)}
		}
		if len(t.DefinitionLevels) != len(t.Values) || len(t.RepetitionLevels) != len(t.Values) {
			return nil, &CorruptError{RowGroup: g, Column: col, Err: errors.New("levels and values disagree")}
		}
		tables[i] = t
	}
	return tables, nil
}

// recoverDecoder turns a decoder panic into a CorruptError naming the row
// group (-1: the footer) and column.
func recoverDecoder(err *error, g int, col *string) {
	if r := recover(); r != nil {
		*err = &CorruptError{RowGroup: g, Column: *col, Err: fmt.Errorf("decoder failed: %v", r)}
	}
}

func countRows(t *layout.Table) int64 {
	var n int64
	for _, rl := range t.RepetitionLevels {
		if rl == 0 {
			n++
		}
	}
	return n
}

// atFile is the library's file interface over an io.ReaderAt: every Open
// is an independent cursor on the same bytes.
type atFile struct {
	r    io.ReaderAt
	size int64
	pos  int64
}

var _ source.ParquetFile = (*atFile)(nil)

func (f *atFile) Read(p []byte) (int, error) {
	if f.pos >= f.size {
		return 0, io.EOF
	}
	if rest := f.size - f.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := f.r.ReadAt(p, f.pos)
	f.pos += int64(n)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

func (f *atFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += f.pos
	case io.SeekEnd:
		off += f.size
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if off < 0 {
		return 0, errors.New("seek before the start of the file")
	}
	f.pos = off
	return off, nil
}

func (f *atFile) Open(name string) (source.ParquetFile, error) {
	if name != "" {
		return nil, fmt.Errorf("column data in another file (%s) is not supported", name)
	}
	return &atFile{r: f.r, size: f.size}, nil
}

func (f *atFile) Create(string) (source.ParquetFile, error) {
	return nil, errors.New("read-only")
}
func (f *atFile) Write([]byte) (int, error) { return 0, errors.New("read-only") }
func (f *atFile) Close() error              { return nil }
