// Package parquet reads Apache Parquet files as rows of JSON-like values
// (strings, json.Number, bool, []any, map[string]any), the shape the rest
// of the loader already handles for JSON logs.
//
// The page decoding comes from github.com/xitongsys/parquet-go, which is
// barely maintained: it sits behind File so it can be replaced without
// touching callers. What this package does itself is what that library
// gets wrong or leaves unsafe: the footer is read with size limits, panics
// on corrupt input become errors, row groups can be read one at a time
// (the unit the split step fans out), and rows are assembled from the
// column levels directly instead of through reflection.
package parquet

import (
	"fmt"
	"io"
)

// Field is one top-level column of a row. Null columns are left out, as
// the reference does.
type Field struct {
	Name  string
	Value any
}

// Row is a row's non-null top-level columns in schema order.
type Row []Field

// Map returns the row as a map.
func (r Row) Map() map[string]any {
	m := make(map[string]any, len(r))
	for _, f := range r {
		m[f.Name] = f.Value
	}
	return m
}

// RowGroup describes one row group: its rows and the byte span of its
// column chunks in the file (what a range read must fetch).
type RowGroup struct {
	Rows   int64
	Offset int64
	Size   int64
}

// File is an open Parquet file whose footer has been read.
type File interface {
	NumRows() int64
	RowGroups() []RowGroup
	// Columns are the top-level column names in schema order.
	Columns() []string
	// Rows reads the rows of row groups [first, end) in file order, a
	// batch at a time. A corrupt row group stops the read with a
	// *CorruptError saying which group and column.
	Rows(first, end int) RowReader
}

// RowReader yields rows until io.EOF.
type RowReader interface {
	Next() (Row, error)
}

// ReadRows calls fn for every row of f's row groups [first, end); fn's
// error is returned as is.
func ReadRows(f File, first, end int, fn func(Row) error) error {
	rr := f.Rows(first, end)
	for {
		r, err := rr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// Magic starts and ends every Parquet file.
const Magic = "PAR1"

// IsParquet reports whether content starts like a Parquet file.
func IsParquet(head []byte) bool {
	return len(head) >= 4 && string(head[:4]) == Magic
}

// CorruptError says where a file stopped being readable.
type CorruptError struct {
	RowGroup int    // -1 for the footer
	Column   string // dotted column path, when known
	Err      error
}

func (e *CorruptError) Error() string {
	switch {
	case e.RowGroup < 0:
		return "parquet footer: " + e.Err.Error()
	case e.Column != "":
		return fmt.Sprintf("parquet row group %d, column %s: %v", e.RowGroup, e.Column, e.Err)
	default:
		return fmt.Sprintf("parquet row group %d: %v", e.RowGroup, e.Err)
	}
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Open reads the footer of the Parquet file r of size bytes.
func Open(r io.ReaderAt, size int64) (File, error) {
	return openXitongsys(r, size)
}
