// Package parquettest writes Parquet files for tests and fixtures with
// xitongsys/parquet-go's writer, so fixtures come from an independent
// implementation of the format rather than from the reader under test.
package parquettest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

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
