package pipeline

// Dead letters: what could not be loaded, written to the staging bucket
// as gzipped JSON lines, one file a step and chunk:
// dead-letter/<step>/<bucket>/<key>/<seq>.ndjson.gz.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
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
	return nil
}

func (g *gzLines) bytes() []byte {
	g.zw.Close()
	return g.buf.Bytes()
}
