package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/siemloader/siem/shared/format"
)

// A staged chunk file is gzip text, one framed record per line:
//
//	#V\t1                          format version (first line; files without
//	                                it are version 1, from earlier writers)
//	<record number>\t<raw record>
//	#H\t<csv header line>           the header in force from here on
//	#E\t<record number>\t<reason>   framing stopped here (rest unreadable)
//	#S\t<record number>\t<reason>   a record counted as skipped
//	#Q\t<record number>\t<JSON string> a record spanning lines (multiline)
//	#D\t<record number>\t<reason>\t<JSON string> a record to dead-letter as
//	                                it is (over the record limit: its start)
//
// Raw records are written as they are, except multiline records, which
// are written as JSON strings (#Q) so every record stays one line.

type chunkWriter struct {
	buf    bytes.Buffer
	zw     *gzip.Writer
	header string
	n      int
}

// chunkVersion is the staged chunk format this loader writes and reads.
// A reader meeting another version refuses the chunk by name, so a deploy
// that changes the format never misreads chunks staged before it.
// Version 2 added #D; version 1 files (no #D) read the same.
const chunkVersion = "2"

func newChunkWriter() *chunkWriter {
	w := &chunkWriter{}
	w.zw, _ = gzip.NewWriterLevel(&w.buf, gzip.BestSpeed)
	w.zw.Write([]byte("#V\t" + chunkVersion + "\n"))
	return w
}

func (w *chunkWriter) add(r format.Record) {
	if r.Error != "" {
		q, _ := json.Marshal(string(r.Raw))
		fmt.Fprintf(w.zw, "#D\t%d\t%s\t%s\n", r.Num, oneLine(r.Error), q)
		w.n++
		return
	}
	if r.Skip != "" {
		fmt.Fprintf(w.zw, "#S\t%d\t%s\n", r.Num, oneLine(r.Skip))
		w.n++
		return
	}
	if r.Header != w.header {
		fmt.Fprintf(w.zw, "#H\t%s\n", r.Header)
		w.header = r.Header
	}
	if bytes.ContainsAny(r.Raw, "\n\r") {
		q, _ := json.Marshal(string(r.Raw))
		fmt.Fprintf(w.zw, "#Q\t%d\t%s\n", r.Num, q)
		w.n++
		return
	}
	w.zw.Write(strconv.AppendInt(nil, int64(r.Num), 10))
	w.zw.Write([]byte{'\t'})
	w.zw.Write(r.Raw)
	w.zw.Write([]byte{'\n'})
	w.n++
}

func (w *chunkWriter) addError(fe *format.FrameError) {
	fmt.Fprintf(w.zw, "#E\t%d\t%s\n", fe.Num, oneLine(fe.Error()))
	w.n++
}

func (w *chunkWriter) bytes() []byte {
	w.zw.Close()
	return w.buf.Bytes()
}

// chunkReader reads a staged chunk file back as records.
type chunkReader struct {
	r      *bufio.Reader
	header string
}

func newChunkReader(r io.Reader) (*chunkReader, error) {
	// A staged chunk is read within the same limits as an object (it was
	// written by split, but the staging bucket is storage like any other).
	zr, err := format.Gunzip(r)
	if err != nil {
		return nil, fmt.Errorf("chunk file: %w", err)
	}
	return &chunkReader{r: bufio.NewReaderSize(zr, 256<<10)}, nil
}

func (c *chunkReader) Next() (format.Record, error) {
	for {
		line, err := c.r.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			return format.Record{}, err
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		tag, rest, ok := bytes.Cut(line, []byte{'\t'})
		if !ok {
			return format.Record{}, fmt.Errorf("chunk file: malformed line %q", truncate(line, 80))
		}
		switch string(tag) {
		case "#V":
			if string(rest) != chunkVersion && string(rest) != "1" {
				return format.Record{}, fmt.Errorf("chunk file: format version %q, this loader reads version %s (staged by another release: split the object again)", truncate(rest, 20), chunkVersion)
			}
			continue
		case "#H":
			c.header = string(rest)
			continue
		case "#E":
			num, reason, _ := bytes.Cut(rest, []byte{'\t'})
			n, _ := strconv.Atoi(string(num))
			return format.Record{}, &format.FrameError{Num: n, Err: fmt.Errorf("%s", reason)}
		case "#Q":
			num, q, _ := bytes.Cut(rest, []byte{'\t'})
			n, _ := strconv.Atoi(string(num))
			var raw string
			if err := json.Unmarshal(q, &raw); err != nil {
				return format.Record{}, fmt.Errorf("chunk file: bad multiline record %d: %v", n, err)
			}
			return format.Record{Num: n, Raw: []byte(raw), Header: c.header}, nil
		case "#D":
			num, rest, _ := bytes.Cut(rest, []byte{'\t'})
			reason, q, _ := bytes.Cut(rest, []byte{'\t'})
			n, _ := strconv.Atoi(string(num))
			var raw string
			if err := json.Unmarshal(q, &raw); err != nil {
				return format.Record{}, fmt.Errorf("chunk file: bad record %d to dead-letter: %v", n, err)
			}
			return format.Record{Num: n, Raw: []byte(raw), Header: c.header, Error: string(reason)}, nil
		case "#S":
			num, reason, _ := bytes.Cut(rest, []byte{'\t'})
			n, _ := strconv.Atoi(string(num))
			return format.Record{Num: n, Skip: string(reason)}, nil
		}
		n, err := strconv.Atoi(string(tag))
		if err != nil {
			return format.Record{}, fmt.Errorf("chunk file: bad record number %q", truncate(tag, 20))
		}
		return format.Record{Num: n, Raw: append([]byte(nil), rest...), Header: c.header}, nil
	}
}

func oneLine(s string) string {
	return string(bytes.ReplaceAll(bytes.ReplaceAll([]byte(s), []byte{'\n'}, []byte{' '}), []byte{'\t'}, []byte{' '}))
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
