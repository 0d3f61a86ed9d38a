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

// OpenObject frames a whole object as stored: gzip or plain, text, JSON or
// Parquet (recognized by its magic bytes whatever the log type's format,
// as VPC Flow Logs deliver either). A Parquet object is read into memory;
// the split step reads big ones by row group instead (NewParquetFramer).
func OpenObject(def *logtype.Definition, r io.Reader) (Framer, error) {
	br, isParquet, err := Plain(r)
	if err != nil {
		return nil, err
	}
	if isParquet {
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
	if def.Format == "parquet" && !def.ViaCWL && !def.ViaFireLens {
		head, _ := br.Peek(4)
		return Failed(fmt.Errorf("not a Parquet file (starts with %q)", head)), nil
	}
	return NewFramer(def, br), nil
}

// Plain returns an object's content decompressed (when gzip) and whether
// that content is Parquet.
func Plain(r io.Reader) (*bufio.Reader, bool, error) {
	plain, err := Decompress(r)
	if err != nil {
		return nil, false, err
	}
	br := bufio.NewReaderSize(plain, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	return br, parquet.IsParquet(head), nil
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
