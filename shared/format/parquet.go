package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/parquet"
)

// Parquet: Apache Parquet rows, typed like JSON. Parquet content is
// recognized by its magic bytes whatever the log type's format says (VPC
// Flow Logs deliver text or Parquet); it is read whole (Open), and the
// split step cuts big files by row groups. A record that comes without its
// fields (a dead letter replayed) is the row's JSON. Content of a parquet
// log type that is not Parquet is framed as lines by a streaming reader
// (the split step) and refused by OpenObject.
var Parquet = &Format{
	Name:   "parquet",
	Frame:  newLineFramer,
	Decode: decodeJSON,
	Sniff:  parquet.IsParquet,
	Open:   openParquet,
}

func init() { Register(Parquet) }

// openParquet reads the content into memory and frames its rows.
func openParquet(def *logtype.Definition, br *bufio.Reader) (Framer, error) {
	if head, _ := br.Peek(4); !parquet.IsParquet(head) {
		return Failed(fmt.Errorf("not a Parquet file (starts with %q)", head)), nil
	}
	b, err := io.ReadAll(br)
	if err != nil {
		return nil, err
	}
	f, err := parquet.Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return Failed(err), nil
	}
	return NewParquetFramer(def, f, 0, len(f.RowGroups())), nil
}

// OpenObject frames a whole object as stored: gzip or plain, then with the
// format that recognizes the content (Sniff: Parquet whatever the log
// type's format), else the log type's format. A format read whole (Open)
// gets the content at once; the split step reads big Parquet files by row
// group instead (NewParquetFramer).
func OpenObject(def *logtype.Definition, r io.Reader) (Framer, error) {
	br, sniffed, err := plain(r)
	if err != nil {
		return nil, err
	}
	if sniffed != nil && sniffed.Open != nil {
		return sniffed.Open(def, br)
	}
	f, err := Resolve(def)
	if err != nil {
		return Failed(err), nil
	}
	if f.Open != nil {
		return f.Open(def, br)
	}
	return f.Frame(def, br), nil
}

// Plain returns an object's content decompressed (when gzip) and whether
// that content is of a format read whole (Parquet), which is not framed
// as a stream.
func Plain(r io.Reader) (*bufio.Reader, bool, error) {
	br, sniffed, err := plain(r)
	return br, sniffed != nil && sniffed.WholeObject(), err
}

// plain is Plain returning the format that recognizes the content, or nil.
func plain(r io.Reader) (*bufio.Reader, *Format, error) {
	plain, err := Decompress(r)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(plain, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	return br, Sniff(head), nil
}

// Failed is a framer for content that cannot be framed at all: it yields
// one FrameError (one dead letter saying why) and ends.
func Failed(err error) Framer { return &failedFramer{err: err} }

type failedFramer struct {
	err  error
	done bool
}

func (f *failedFramer) Next() (Record, error) {
	if f.done {
		return Record{}, io.EOF
	}
	f.done = true
	return Record{}, &FrameError{Num: 1, Err: f.err}
}

// NewParquetFramer yields the rows of row groups [first, end) of f, one
// record per row, numbered from 1 at the file's first row.
//
// A log type with a text format (a VPC flow log written as Parquet) gets
// each row as the line its text delivery would have: values in column
// order, "-" for nulls, with the fields that line decodes to. Its
// documents are then the same as for the text files, @id included. Other log types
// get the row's typed values as fields and its JSON as the raw record.
func NewParquetFramer(def *logtype.Definition, f parquet.File, first, end int) Framer {
	p := &parquetFramer{rows: f.Rows(first, end)}
	for _, g := range f.RowGroups()[:min(first, len(f.RowGroups()))] {
		p.num += int(g.Rows)
	}
	if def.Format != "json" && def.Format != "parquet" {
		p.columns = f.Columns()
		p.header = strings.Join(p.columns, " ")
		for _, c := range p.columns {
			p.names = append(p.names, fieldName(c))
		}
	}
	return p
}

type parquetFramer struct {
	rows    parquet.RowReader
	num     int // rows framed so far, counted from the file's start
	columns []string
	names   []string // field names of the columns
	header  string
	failed  bool
}

func (p *parquetFramer) Next() (Record, error) {
	if p.failed {
		return Record{}, io.EOF
	}
	row, err := p.rows.Next()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	if err != nil {
		p.failed = true
		return Record{}, &FrameError{Num: p.num + 1, Err: err}
	}
	p.num++
	if p.columns != nil {
		return p.textRecord(row), nil
	}
	m := row.Map()
	raw, err := doc.AppendJSON(nil, m)
	if err != nil {
		return Record{}, &FrameError{Num: p.num, Err: fmt.Errorf("row cannot be written as JSON: %w", err)}
	}
	return Record{Num: p.num, Raw: raw, Fields: m}, nil
}

// textRecord renders a row as its text line (the raw record: @message and
// the id) and gives its fields as the line's decoding would: every column,
// "-" for nulls, named as a header names them.
func (p *parquetFramer) textRecord(row parquet.Row) Record {
	vals := make([]string, len(p.columns))
	fields := make(map[string]any, len(p.columns))
	i := 0
	for c, name := range p.columns {
		v := "-"
		if i < len(row) && row[i].Name == name {
			v = textValue(row[i].Value)
			i++
		}
		vals[c] = v
		fields[p.names[c]] = v
	}
	return Record{Num: p.num, Raw: []byte(strings.Join(vals, " ")), Header: p.header, Fields: fields}
}

func textValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		if t {
			return "true"
		}
		return "false"
	case nil:
		return "-"
	}
	if n, ok := v.(interface{ String() string }); ok {
		return n.String()
	}
	b, err := doc.AppendJSON(nil, v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
