package pipeline

// What the separate steps stage between them in S3: documents and dead
// letters as gzipped JSON lines.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/doc"
)

func deadLetterKey(step string, c Chunk) string {
	return fmt.Sprintf("dead-letter/%s/%s/%s/%05d.ndjson.gz", step, c.Source.Bucket, c.Source.Key, c.Seq)
}

// DeadLetter is one record or document that could not be loaded.
type DeadLetter struct {
	Step    string          `json:"step"`
	Source  string          `json:"source"`
	LogType string          `json:"log_type"`
	Record  int             `json:"record"`
	Reason  string          `json:"reason"`
	Raw     string          `json:"raw,omitempty"`
	Index   string          `json:"index,omitempty"`
	ID      string          `json:"id,omitempty"`
	Doc     json.RawMessage `json:"document,omitempty"`
	Time    string          `json:"time"`
}

type gzLines struct {
	buf bytes.Buffer
	zw  *gzip.Writer
	n   int
}

func newGzLines() *gzLines {
	g := &gzLines{}
	g.zw, _ = gzip.NewWriterLevel(&g.buf, gzip.BestSpeed)
	return g
}

func (g *gzLines) add(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	g.zw.Write(b)
	g.zw.Write([]byte{'\n'})
	g.n++
	return nil
}

func (g *gzLines) bytes() []byte {
	g.zw.Close()
	return g.buf.Bytes()
}

// A staged document file (docs/<source>/<chunk>.parsed.ndjson.gz, written
// by parse, and .enriched.ndjson.gz, written by enrich) is gzip JSON
// lines, one document a line, in this field order:
//
//	{"_index":<string>,"_id":<string>,"record":<number>,"_source":<object>}
//
// The source is written as it came, not re-encoded. The file has no
// version line (unlike a staged chunk file): its one format is the one
// above. docWriter is its only encoder and readStagedDocs its only decoder.

// StagedDoc is one document as the separate steps stage it between them
// (parse -> enrich -> index). It is converted to a bulk.Doc only where it
// is handed to the indexer (bulkDoc).
//
// It has no counterpart of bulk.Doc.Encoded, on purpose: that flag is an
// in-process promise ("this process wrote Source with doc.AppendJSON, do
// not check it again") that belongs to the indexer's input. A staged
// document was written by another invocation and read back from storage
// like any other object, so the bulk client checks its source again.
type StagedDoc struct {
	Index  string          `json:"_index"`
	ID     string          `json:"_id"`
	Record int             `json:"record"`
	Source json.RawMessage `json:"_source"`
}

// bulkDoc is d as the indexer takes it. Encoded stays false (see
// StagedDoc).
func (d StagedDoc) bulkDoc() bulk.Doc {
	return bulk.Doc{Index: d.Index, ID: d.ID, Record: d.Record, Source: d.Source}
}

// docWriter encodes a staged document file.
type docWriter struct{ g *gzLines }

func newDocWriter() *docWriter { return &docWriter{g: newGzLines()} }

// add writes a document line without re-encoding its source.
func (w *docWriter) add(d StagedDoc) {
	line := make([]byte, 0, len(d.Source)+len(d.Index)+len(d.ID)+48)
	line = append(line, `{"_index":`...)
	line, _ = doc.AppendJSON(line, d.Index)
	line = append(line, `,"_id":`...)
	line, _ = doc.AppendJSON(line, d.ID)
	line = append(line, `,"record":`...)
	line = strconv.AppendInt(line, int64(d.Record), 10)
	line = append(line, `,"_source":`...)
	line = append(line, d.Source...)
	line = append(line, '}', '\n')
	w.g.zw.Write(line)
	w.g.n++
}

// bytes closes the file and returns its content.
func (w *docWriter) bytes() []byte { return w.g.bytes() }

// readStagedDocs decodes a staged document file, calling fn for each
// document in order. Errors of the file's content are prefixed with name;
// fn's errors are returned as they are.
func readStagedDocs(r io.Reader, name string, fn func(StagedDoc) error) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var d StagedDoc
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return sc.Err()
}

// readDocs reads the staged document file ref.
func (s *Steps) readDocs(ctx context.Context, ref ObjectRef, fn func(StagedDoc) error) error {
	body, err := s.cfg.Store.Get(ctx, ref.Bucket, ref.Key)
	if err != nil {
		return storeError(err)
	}
	defer body.Close()
	return readStagedDocs(body, "s3://"+ref.Bucket+"/"+ref.Key, fn)
}
