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

// addDoc writes a document line without re-encoding its source.
func (g *gzLines) addDoc(d bulk.Doc) {
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
	g.zw.Write(line)
	g.n++
}

func (g *gzLines) bytes() []byte {
	g.zw.Close()
	return g.buf.Bytes()
}

func (s *Steps) readDocs(ctx context.Context, ref ObjectRef, fn func(bulk.Doc) error) error {
	body, err := s.cfg.Store.Get(ctx, ref.Bucket, ref.Key)
	if err != nil {
		return storeError(err)
	}
	defer body.Close()
	zr, err := gzip.NewReader(body)
	if err != nil {
		return fmt.Errorf("s3://%s/%s: %w", ref.Bucket, ref.Key, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var d bulk.Doc
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return fmt.Errorf("s3://%s/%s: %w", ref.Bucket, ref.Key, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return sc.Err()
}
