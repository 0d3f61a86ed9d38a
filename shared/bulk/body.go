package bulk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/siemloader/siem/shared/doc"
)

// entry is one document framed for a bulk body: action line and source
// line, each ending in "\n".
type entry struct {
	doc  *Doc
	data []byte
	i    int // position in the Index call's documents
}

// prepare frames d, or says why it can never be sent.
func prepare(d *Doc) (entry, *Failure) {
	fail := func(status int, typ, format string, args ...any) (entry, *Failure) {
		return entry{}, &Failure{Doc: *d, Status: status, Type: typ, Reason: fmt.Sprintf(format, args...)}
	}
	if d.Index == "" {
		return fail(400, "invalid_document", "document has no index name")
	}
	src := []byte(d.Source)
	if !d.Encoded {
		var err error
		if src, err = compactSource(d.Source); err != nil {
			return fail(400, "invalid_document", "source is not a valid JSON object: %v", err)
		}
	}
	data := make([]byte, 0, len(d.Index)+len(d.ID)+len(src)+32)
	data = append(data, `{"index":{"_index":`...)
	data, _ = doc.AppendJSON(data, d.Index)
	if d.ID != "" {
		data = append(data, `,"_id":`...)
		data, _ = doc.AppendJSON(data, d.ID)
	}
	data = append(data, "}}\n"...)
	data = append(append(data, src...), '\n')
	if len(data) > MaxBodyLimit {
		return fail(413, "document_too_large", "document is %d bytes in a bulk body, over the %d-byte (10 MiB) request limit; not sent", len(data), MaxBodyLimit)
	}
	return entry{doc: d, data: data}, nil
}

// compactSource checks that src is JSON and puts it on one line: a newline
// inside a source would break the NDJSON framing of the whole request.
func compactSource(src json.RawMessage) ([]byte, error) {
	if !json.Valid(src) {
		var v any
		if err := json.Unmarshal(src, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	if t := bytes.TrimSpace(src); t[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	if bytes.IndexByte(src, '\n') < 0 && bytes.IndexByte(src, '\r') < 0 {
		return bytes.TrimSpace(src), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, src); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// batches groups entries, in order, into bodies of at most max bytes; an
// entry larger than max goes alone.
func batches(entries []entry, max int) [][]entry {
	var out [][]entry
	start, size := 0, 0
	for i, e := range entries {
		if i > start && size+len(e.data) > max {
			out = append(out, entries[start:i])
			start, size = i, 0
		}
		size += len(e.data)
	}
	if start < len(entries) {
		out = append(out, entries[start:])
	}
	return out
}
