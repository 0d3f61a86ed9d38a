// Package parquettest writes Parquet files for tests and fixtures with
// xitongsys/parquet-go's writer, so fixtures come from an independent
// implementation of the format rather than from the reader under test.
package parquettest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	pq "github.com/xitongsys/parquet-go/parquet"
	"github.com/xitongsys/parquet-go/source"
	"github.com/xitongsys/parquet-go/writer"
)

// Codec names the page compression.
type Codec string

const (
	Snappy       Codec = "SNAPPY"
	Gzip         Codec = "GZIP"
	Uncompressed Codec = "UNCOMPRESSED"
	Zstd         Codec = "ZSTD"
)

// Column is one flat column of a fixture schema: name and the library's
// type tag, e.g. "type=INT32" or "type=BYTE_ARRAY, convertedtype=UTF8".
type Column struct {
	Name string
	Tag  string
}

// Schema returns the library's JSON schema for flat optional columns.
func Schema(cols []Column) string {
	var fields []map[string]any
	for _, c := range cols {
		fields = append(fields, map[string]any{"Tag": fmt.Sprintf("name=%s, %s, repetitiontype=OPTIONAL", c.Name, c.Tag)})
	}
	b, _ := json.Marshal(map[string]any{"Tag": "name=schema", "Fields": fields})
	return string(b)
}

// Write writes rows (JSON objects matching jsonSchema) in row groups of
// rowsPerGroup rows, pages compressed with codec.
func Write(jsonSchema string, rows []string, rowsPerGroup int, codec Codec) ([]byte, error) {
	if rowsPerGroup <= 0 {
		return nil, errors.New("rowsPerGroup must be positive")
	}
	f := &memFile{}
	w, err := writer.NewJSONWriter(jsonSchema, f, 1)
	if err != nil {
		return nil, err
	}
	c, err := pq.CompressionCodecFromString(string(codec))
	if err != nil {
		return nil, err
	}
	w.CompressionType = c
	for i, r := range rows {
		if err := w.Write(r); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		if (i+1)%rowsPerGroup == 0 && i+1 < len(rows) {
			if err := w.Flush(true); err != nil {
				return nil, err
			}
		}
	}
	if err := w.WriteStop(); err != nil {
		return nil, err
	}
	return f.buf.Bytes(), nil
}

// memFile is a write-only in-memory file for the library's writer.
type memFile struct{ buf bytes.Buffer }

var _ source.ParquetFile = (*memFile)(nil)

func (m *memFile) Write(p []byte) (int, error)               { return m.buf.Write(p) }
func (m *memFile) Read([]byte) (int, error)                  { return 0, errors.New("write-only") }
func (m *memFile) Seek(int64, int) (int64, error)            { return 0, errors.New("write-only") }
func (m *memFile) Close() error                              { return nil }
func (m *memFile) Open(string) (source.ParquetFile, error)   { return nil, errors.New("write-only") }
func (m *memFile) Create(string) (source.ParquetFile, error) { return m, nil }

// FlowLogTypes are the Parquet types of VPC Flow Logs' integer fields
// (VPC user guide, "Parquet format"); every other field is a string.
var FlowLogTypes = map[string]string{
	"version": "INT32", "srcport": "INT32", "dstport": "INT32", "protocol": "INT32",
	"tcp_flags": "INT32", "traffic_path": "INT32",
	"packets": "INT64", "bytes": "INT64", "start": "INT64", "end": "INT64",
}

// FromText writes a space-separated log with a header line (field names,
// "-" allowed in them) as Parquet: one column per field in order, named
// with "_" for "-", typed by types (INT32 or INT64; others are UTF8
// strings), with "-" values as nulls, as Flow Logs delivers the same
// records in Parquet.
func FromText(text string, types map[string]string, rowsPerGroup int, codec Codec) ([]byte, error) {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	names := strings.Fields(strings.ReplaceAll(lines[0], "-", "_"))
	var cols []Column
	for _, n := range names {
		tag := "type=BYTE_ARRAY, convertedtype=UTF8"
		if ty, ok := types[n]; ok {
			tag = "type=" + ty
		}
		cols = append(cols, Column{Name: n, Tag: tag})
	}
	var rows []string
	for i, l := range lines[1:] {
		vals := strings.Fields(l)
		if len(vals) != len(names) {
			return nil, fmt.Errorf("line %d has %d fields for %d names", i+2, len(vals), len(names))
		}
		row := map[string]any{}
		for j, v := range vals {
			if v == "-" {
				continue
			}
			if _, ok := types[names[j]]; ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("line %d: %s = %q is not an integer", i+2, names[j], v)
				}
				row[names[j]] = n
			} else {
				row[names[j]] = v
			}
		}
		b, _ := json.Marshal(row)
		rows = append(rows, string(b))
	}
	return Write(Schema(cols), rows, rowsPerGroup, codec)
}

// DropNulls removes null object members, recursively: Parquet rows leave
// null columns out, so JSON twins compare without them.
func DropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
			} else {
				t[k] = DropNulls(e)
			}
		}
	case []any:
		for i, e := range t {
			t[i] = DropNulls(e)
		}
	}
	return v
}
