package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonFramer frames JSON objects without decoding them: it scans the
// content once, string- and nesting-aware, and yields each top-level value
// (or each element of its records field) as a byte slice. Values may span
// lines and follow each other with any whitespace (Firehose concatenation).
// Whether a record is valid JSON is decided by Decode, per record, so one
// bad record is dead-lettered instead of failing the object.
type jsonFramer struct {
	r       io.Reader
	buf     []byte
	pos     int
	loaded  bool
	fields  [][]byte // JSON-quoted names of the records field
	pending [][]byte
	n       int
}

func newJSONFramer(r io.Reader, field string) *jsonFramer {
	f := &jsonFramer{r: r}
	// "findings|Findings": any of the names holds the records.
	for _, name := range strings.Split(field, "|") {
		if name != "" {
			q, _ := json.Marshal(name)
			f.fields = append(f.fields, q)
		}
	}
	return f
}

func (f *jsonFramer) isField(key []byte) bool {
	for _, name := range f.fields {
		if bytes.Equal(key, name) {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func (f *jsonFramer) skipSpace() {
	for f.pos < len(f.buf) && isSpace(f.buf[f.pos]) {
		f.pos++
	}
}

// skipValue returns the end of the JSON value starting at i.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, io.ErrUnexpectedEOF
	}
	switch b[i] {
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return end, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return len(b), errors.New("unterminated object or list")
	case '"':
		return skipString(b, i)
	default:
		j := i
		for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != '{' && b[j] != '[' && b[j] != '"' {
			j++
		}
		if j == i {
			return i, fmt.Errorf("unexpected %q", b[i])
		}
		return j, nil
	}
}

func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return len(b), errors.New("unterminated string")
}

// records returns the elements of the records field of the object obj, or
// ok=false when obj is not an object holding that field as a list. An
// EventBridge event holding the field in its detail (Security Hub's
// detail.findings, as Firehose delivers them) yields the detail's elements,
// each given the envelope's id, source, account, region and time as cwe_*
// fields, like a single-record event unwrapped by Decode.
func (f *jsonFramer) records(obj []byte) (elems [][]byte, ok bool, err error) {
	var list, detail []byte
	var envelope [][2][]byte // cwe name, raw JSON value
	isEvent := false
	err = scanObject(obj, func(key, val []byte) {
		switch {
		case f.isField(key):
			list = val
		case string(key) == `"detail"`:
			detail = val
		case string(key) == `"detail-type"`:
			isEvent = true
		default:
			if name, ok := envelopeFields[string(key)]; ok {
				envelope = append(envelope, [2][]byte{[]byte(name), val})
			}
		}
	})
	if err != nil || (list == nil && (!isEvent || len(detail) == 0 || detail[0] != '{')) {
		return nil, false, err
	}
	if list == nil {
		if err := scanObject(detail, func(key, val []byte) {
			if f.isField(key) {
				list = val
			}
		}); err != nil || list == nil {
			return nil, false, err
		}
	} else {
		envelope = nil
	}
	if len(list) == 0 || list[0] != '[' {
		return nil, false, fmt.Errorf("records field is not a list")
	}
	j := 1
	for {
		for j < len(list) && (isSpace(list[j]) || list[j] == ',') {
			j++
		}
		if j >= len(list) || list[j] == ']' {
			return elems, true, nil
		}
		e, err := skipValue(list, j)
		if err != nil {
			return nil, false, err
		}
		elems = append(elems, withEnvelope(list[j:e], envelope))
		j = e
	}
}

// envelopeFields are the EventBridge envelope keys kept on unwrapped
// records, by their JSON-quoted key.
var envelopeFields = map[string]string{`"id"`: "cwe_id", `"source"`: "cwe_source", `"account"`: "cwe_accountid", `"region"`: "cwe_region", `"time"`: "cwe_timestamp"}

// withEnvelope splices the envelope fields into the front of a JSON object
// (the record's own fields come later, so they win on a clash).
func withEnvelope(elem []byte, envelope [][2][]byte) []byte {
	if len(envelope) == 0 || len(elem) == 0 || elem[0] != '{' {
		return elem
	}
	var b []byte
	b = append(b, '{')
	for i, kv := range envelope {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, kv[0]...)
		b = append(b, '"', ':')
		b = append(b, kv[1]...)
	}
	rest := bytes.TrimLeft(elem[1:], " \t\r\n")
	if len(rest) > 0 && rest[0] != '}' {
		b = append(b, ',')
	}
	return append(b, rest...)
}

// scanObject calls fn with each key (JSON-quoted, as written) and raw value
// of the object obj; it does nothing when obj is not an object.
func scanObject(obj []byte, fn func(key, val []byte)) error {
	if len(obj) == 0 || obj[0] != '{' {
		return nil
	}
	i := 1
	for {
		for i < len(obj) && (isSpace(obj[i]) || obj[i] == ',') {
			i++
		}
		if i >= len(obj) || obj[i] == '}' {
			return nil
		}
		if obj[i] != '"' {
			return fmt.Errorf("object key expected at byte %d", i)
		}
		kEnd, err := skipString(obj, i)
		if err != nil {
			return err
		}
		key := obj[i:kEnd]
		i = kEnd
		for i < len(obj) && isSpace(obj[i]) {
			i++
		}
		if i >= len(obj) || obj[i] != ':' {
			return fmt.Errorf("':' expected after key %s", key)
		}
		i++
		for i < len(obj) && isSpace(obj[i]) {
			i++
		}
		vEnd, err := skipValue(obj, i)
		if err != nil {
			return err
		}
		fn(key, obj[i:vEnd])
		i = vEnd
	}
}

func (f *jsonFramer) Next() (Record, error) {
	if !f.loaded {
		b, err := io.ReadAll(f.r)
		if err != nil {
			return Record{}, &FrameError{Num: 1, Err: err}
		}
		f.buf, f.loaded = b, true
	}
	for len(f.pending) == 0 {
		f.skipSpace()
		if f.pos >= len(f.buf) {
			return Record{}, io.EOF
		}
		start := f.pos
		if !startsJSON(f.buf[start]) {
			// Not JSON at all (a text line in a JSON log): the rest of the
			// line is one record, which Decode dead-letters with the reason.
			end := bytes.IndexByte(f.buf[start:], '\n')
			if end < 0 {
				end = len(f.buf) - start
			}
			f.pos = start + end
			f.pending = append(f.pending, bytes.TrimSpace(f.buf[start:f.pos]))
			break
		}
		end, err := skipValue(f.buf, start)
		if err != nil {
			f.pos = len(f.buf)
			return Record{}, &FrameError{Num: f.n + 1, Offset: int64(start), Err: fmt.Errorf("invalid JSON: %w", err)}
		}
		f.pos = end
		v := f.buf[start:end]
		if f.fields == nil {
			f.pending = append(f.pending, v)
			break
		}
		elems, ok, err := f.records(v)
		if err != nil {
			f.pos = len(f.buf)
			return Record{}, &FrameError{Num: f.n + 1, Offset: int64(start), Err: fmt.Errorf("invalid JSON: %w", err)}
		}
		if !ok {
			// A value without the records field (a bare event, or something
			// else): one record, which Decode accepts or explains.
			f.pending = append(f.pending, v)
			break
		}
		f.pending = append(f.pending, elems...)
	}
	v := f.pending[0]
	f.pending = f.pending[1:]
	f.n++
	if bytes.ContainsAny(v, "\n\r") {
		var c bytes.Buffer
		if err := json.Compact(&c, v); err == nil {
			v = c.Bytes()
		} else {
			v = bytes.Join(bytes.Fields(v), []byte(" "))
		}
	}
	return Record{Num: f.n, Raw: v}, nil
}

func startsJSON(c byte) bool {
	switch c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	}
	return c >= '0' && c <= '9'
}
