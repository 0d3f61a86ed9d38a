package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/siemloader/siem/shared/swar"
)

// jsonFramer frames JSON objects without decoding them: it scans the
// content once, string- and nesting-aware, and yields each top-level value
// (or each element of its records field) as a byte slice. Values may span
// lines and follow each other with any whitespace (Firehose concatenation).
// Whether a record is valid JSON is decided by Decode, per record, so one
// bad record is dead-lettered instead of failing the object.
//
// The content is read through a window, never whole: an element of a
// top-level records list ({"Records":[...]}) is yielded as soon as it is
// complete and the window then moves past it, so memory follows the
// largest record, not the object. Other top-level values (an EventBridge
// event holding its records in detail, a bare event) are kept whole until
// they end, as they are one record or bounded by their source. A record's
// Raw is valid until the next call to Next.
type jsonFramer struct {
	r       io.Reader
	buf     []byte // the window; buf[keep:] is still needed
	base    int64  // offset of buf[0] in the content
	pos     int    // scan position in buf
	keep    int
	eof     bool  // r is exhausted, or failed with rerr
	rerr    error // a read error other than io.EOF
	done    bool
	fields  [][]byte // JSON-quoted names of the records field
	pending [][]byte
	n       int
	compact []byte // scratch for records written over several lines
	window  int    // initial window size (tests make it tiny)
	max     int64  // MaxRecordBytes: the window never grows past it

	// The top-level object being scanned member by member (state inObject
	// and inList).
	state    int
	obj      int   // its start in buf, while it is kept whole (!streamed)
	mark     int   // the start in buf of the member being read
	objAt    int64 // its offset in the content
	streamed bool  // a records list of this object is being (or was) yielded
	// topList: the list being streamed is a top-level value (a file that
	// is one JSON array of records), not an object's records field.
	topList  bool
	badField bool // the last records field seen after streaming is no list
	list     span // members found while the object is kept whole, relative to obj
	detail   span
	isEvent  bool
	envelope []envelopeSpan
}

const (
	atTop = iota
	inObject
	inList
)

// span is a value's bytes [from, to) relative to the object's start; to
// is 0 when the member was not seen.
type span struct{ from, to int }

type envelopeSpan struct {
	name string
	val  span
}

// window is the framer's buffer size once grown (it starts at
// firstWindow); it grows past it for bigger records.
const (
	window      = 256 << 10
	firstWindow = 4 << 10
)

func newJSONFramer(r io.Reader, field string) *jsonFramer {
	f := &jsonFramer{r: r, window: window, max: CurrentLimits().MaxRecordBytes}
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

// fill reads more content into the window, dropping buf[:keep] (moved
// out of the way: every index into buf decreases by the returned shift).
// It reads until the window is full or the content ends; false means
// nothing more can be read.
func (f *jsonFramer) fill() (shift int, ok bool) {
	if f.eof {
		return 0, false
	}
	if f.keep > 0 {
		shift = f.keep
		n := copy(f.buf, f.buf[shift:])
		f.buf = f.buf[:n]
		f.base += int64(shift)
		f.pos -= shift
		f.obj -= shift
		f.mark -= shift
		f.keep = 0
	}
	// The window starts small and doubles up to its size, so a small
	// object (most deliveries) costs a few KiB, not the whole window; it
	// grows past the window only for a record bigger than it.
	if len(f.buf) == cap(f.buf) && int64(len(f.buf)) >= f.max {
		// One value (or the object kept whole) fills the window up
		// to the record limit: it is not read further.
		f.eof, f.rerr = true, &RecordTooLong{Max: f.max}
		return shift, false
	}
	if len(f.buf) == cap(f.buf) || cap(f.buf) < f.window {
		size := max(2*cap(f.buf), min(f.window, firstWindow))
		if len(f.buf) < cap(f.buf) {
			size = min(size, f.window)
		}
		nb := make([]byte, len(f.buf), size)
		copy(nb, f.buf)
		f.buf = nb
	}
	before := len(f.buf)
	for empty := 0; len(f.buf) < cap(f.buf); {
		n, err := f.r.Read(f.buf[len(f.buf):cap(f.buf)])
		f.buf = f.buf[:len(f.buf)+n]
		if err != nil {
			f.eof = true
			if err != io.EOF {
				f.rerr = err
			}
			break
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty >= 100 {
			f.eof, f.rerr = true, io.ErrNoProgress
			break
		}
	}
	return shift, len(f.buf) > before
}

// space skips whitespace (and commas, when commas is set) from buf[*i],
// reading more as needed; false means the content ended first.
func (f *jsonFramer) space(i *int, commas bool) bool {
	for {
		j := *i
		for j < len(f.buf) && (isSpace(f.buf[j]) || commas && f.buf[j] == ',') {
			j++
		}
		*i = j
		if j < len(f.buf) {
			return true
		}
		shift, ok := f.fill()
		*i -= shift
		if !ok {
			return false
		}
	}
}

// value returns the end of the JSON value starting at buf[*i] (see
// skipValue), reading more as needed.
func (f *jsonFramer) value(i *int) (int, error) {
	for {
		end, err := skipValue(f.buf, *i)
		if end < len(f.buf) || (err == nil && (f.buf[*i] == '{' || f.buf[*i] == '[' || f.buf[*i] == '"')) {
			return end, err // complete, or wrong before the window's end
		}
		// The value runs to the window's end (a number or literal may
		// go on).
		shift, ok := f.fill()
		*i -= shift
		if !ok {
			end, err := skipValue(f.buf, *i)
			if f.rerr != nil && end == len(f.buf) {
				err = f.rerr
			} else if err == io.ErrUnexpectedEOF {
				err = errUnterminated // the content ends before the value
			}
			return end, err
		}
	}
}

// key returns the end of the string starting at buf[*i], reading more as
// needed.
func (f *jsonFramer) key(i *int) (int, error) {
	for {
		end, err := skipString(f.buf, *i)
		if err == nil {
			return end, nil
		}
		shift, ok := f.fill()
		*i -= shift
		if !ok {
			if f.rerr != nil {
				return end, f.rerr
			}
			return end, err
		}
	}
}

// fail ends framing with a FrameError for the next record at buf[i].
func (f *jsonFramer) fail(at int64, err error) (Record, error) {
	f.done, f.pending = true, nil
	if err != f.rerr || f.rerr == nil {
		err = fmt.Errorf("invalid JSON: %w", err)
	}
	return Record{}, &FrameError{Num: f.n + 1, Offset: at, Err: err}
}

var errUnterminated = errors.New("unterminated object or list")

func (f *jsonFramer) Next() (Record, error) {
	for {
		if len(f.pending) > 0 {
			v := f.pending[0]
			f.pending = f.pending[1:]
			return f.emit(v), nil
		}
		if f.done {
			return Record{}, io.EOF
		}
		var v []byte
		var err error
		switch f.state {
		case atTop:
			v, err = f.top()
		case inObject:
			v, err = f.member()
		default:
			v, err = f.element()
		}
		if err != nil {
			return Record{}, err
		}
		if v != nil {
			return f.emit(v), nil
		}
	}
}

func (f *jsonFramer) emit(v []byte) Record {
	f.n++
	if bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, '\r') >= 0 {
		c := bytes.NewBuffer(f.compact[:0])
		if err := json.Compact(c, v); err == nil {
			v = c.Bytes()
			f.compact = v
		} else {
			v = bytes.Join(bytes.Fields(v), []byte(" "))
		}
	}
	return Record{Num: f.n, Raw: v}
}

// top reads the next top-level value: a record, or the start of an object
// to scan for its records field.
func (f *jsonFramer) top() ([]byte, error) {
	f.keep = f.pos
	i := f.pos
	if !f.space(&i, false) {
		f.pos = i
		if f.rerr != nil {
			_, err := f.fail(f.base+int64(i), f.rerr)
			return nil, err
		}
		f.done = true
		return nil, nil
	}
	c := f.buf[i]
	if !startsJSON(c) {
		// Not JSON at all (a text line in a JSON log): the rest of the
		// line is one record, which Decode dead-letters with the reason.
		for {
			if end := bytes.IndexByte(f.buf[i:], '\n'); end >= 0 {
				f.pos = i + end
				break
			}
			shift, ok := f.fill()
			i -= shift
			if !ok {
				if f.rerr != nil {
					_, err := f.fail(f.base+int64(i), f.rerr)
					return nil, err
				}
				f.pos = len(f.buf)
				break
			}
		}
		if v := bytes.TrimSpace(f.buf[i:f.pos]); len(v) > 0 {
			return v, nil
		}
		return f.buf[i:i], nil // only Unicode spaces: an empty record
	}
	if c == '[' {
		// A top-level list (a JSON array of records, as some exports and
		// tools write): each element is a record, streamed as a records
		// field's are.
		f.state, f.topList, f.pos = inList, true, i+1
		return nil, nil
	}
	if f.fields == nil || c != '{' {
		end, err := f.value(&i)
		if err != nil {
			_, err := f.fail(f.base+int64(i), err)
			return nil, err
		}
		f.pos = end
		return f.buf[i:end], nil
	}
	f.state = inObject
	f.obj, f.objAt, f.pos = i, f.base+int64(i), i+1
	f.streamed, f.badField, f.isEvent = false, false, false
	f.list, f.detail, f.envelope = span{}, span{}, f.envelope[:0]
	return nil, nil
}

// member reads the next member of the top-level object: a records list
// starts streaming; the end of an object not streamed gives its records
// as a whole.
func (f *jsonFramer) member() ([]byte, error) {
	if f.streamed {
		f.keep = f.pos
	} else {
		f.keep = f.obj
	}
	i := f.pos
	if !f.space(&i, true) {
		return f.damaged(i, errUnterminated)
	}
	f.pos = i
	if f.streamed {
		f.keep = i
	}
	switch f.buf[i] {
	case '}':
		f.pos = i + 1
		return f.objectEnd()
	case '"':
	default:
		return f.damaged(i, fmt.Errorf("object key expected at byte %d", f.base+int64(i)-f.objAt))
	}
	k := i
	kEnd, err := f.key(&k)
	if err != nil {
		return f.damaged(k, err)
	}
	f.mark = k // moved with the window from here on
	keyLen := kEnd - f.mark
	key := f.buf[f.mark:kEnd]
	isRec := f.isField(key)
	kind, name := memberKind(key)
	j := kEnd
	if !f.space(&j, false) {
		return f.damaged(f.mark, errUnterminated)
	}
	if f.buf[j] != ':' {
		return f.damaged(f.mark, fmt.Errorf("':' expected after key %s", f.buf[f.mark:f.mark+keyLen]))
	}
	j++
	if !f.space(&j, false) {
		return f.damaged(f.mark, errUnterminated)
	}
	if isRec && f.buf[j] == '[' {
		// The records list: its elements are yielded one by one.
		f.streamed, f.badField = true, false
		f.state, f.pos = inList, j+1
		return nil, nil
	}
	end, err := f.value(&j)
	if err != nil {
		return f.damaged(j, err)
	}
	f.pos = end
	switch {
	case f.streamed:
		if isRec {
			f.badField = true
		}
	case isRec:
		f.list = span{j - f.obj, end - f.obj}
	case kind == kindDetail:
		f.detail = span{j - f.obj, end - f.obj}
	case kind == kindDetailType:
		f.isEvent = true
	case kind == kindEnvelope:
		f.envelope = append(f.envelope, envelopeSpan{name, span{j - f.obj, end - f.obj}})
	}
	return nil, nil
}

const (
	kindOther = iota
	kindDetail
	kindDetailType
	kindEnvelope
)

// memberKind says what records needs of a top-level key (JSON-quoted).
func memberKind(key []byte) (int, string) {
	switch string(key) {
	case `"detail"`:
		return kindDetail, ""
	case `"detail-type"`:
		return kindDetailType, ""
	}
	if name, ok := envelopeFields[string(key)]; ok {
		return kindEnvelope, name
	}
	return kindOther, ""
}

// objectEnd finishes a top-level object: one not streamed is a record, or
// holds its records in detail (records gives the same answer).
func (f *jsonFramer) objectEnd() ([]byte, error) {
	f.state = atTop
	if f.streamed {
		if f.badField {
			return f.failed(f.objAt, errNotList)
		}
		return nil, nil
	}
	obj := f.buf[f.obj:f.pos]
	var envelope [][2][]byte
	for _, e := range f.envelope {
		envelope = append(envelope, [2][]byte{[]byte(e.name), obj[e.val.from:e.val.to]})
	}
	elems, ok, err := f.elements(f.list.of(obj), f.detail.of(obj), f.isEvent, envelope)
	if err != nil {
		return f.failed(f.objAt, err)
	}
	if !ok {
		// A value without the records field (a bare event, or something
		// else): one record, which Decode accepts or explains.
		return obj, nil
	}
	f.pending = elems
	return nil, nil
}

func (s span) of(obj []byte) []byte {
	if s.to == 0 {
		return nil
	}
	return obj[s.from:s.to]
}

// damaged ends the scan of a top-level object at a problem found at buf[i].
// An object still kept whole reports it as records would have, over the
// whole value; once its records are streamed, the records before the
// problem are out and the problem is where it is.
func (f *jsonFramer) damaged(i int, err error) ([]byte, error) {
	if f.streamed {
		return f.failed(f.base+int64(i), err)
	}
	start := f.obj
	end, verr := f.value(&start)
	if verr != nil {
		return f.failed(f.objAt, verr)
	}
	f.pos, f.state = end, atTop
	elems, ok, err := f.records(f.buf[start:end])
	if err != nil {
		return f.failed(f.objAt, err)
	}
	if !ok {
		return f.buf[start:end], nil
	}
	f.pending = elems
	return nil, nil
}

func (f *jsonFramer) failed(at int64, err error) ([]byte, error) {
	_, err = f.fail(at, err)
	return nil, err
}

// element reads the next element of a streamed records list.
func (f *jsonFramer) element() ([]byte, error) {
	f.keep = f.pos
	i := f.pos
	if !f.space(&i, true) {
		return f.failed(f.base+int64(i), errUnterminated)
	}
	if f.buf[i] == ']' {
		f.state, f.pos = inObject, i+1
		if f.topList {
			f.state, f.topList = atTop, false
		}
		return nil, nil
	}
	end, err := f.value(&i)
	if err != nil {
		return f.failed(f.base+int64(i), err)
	}
	f.pos = end
	return f.buf[i:end], nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

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
		for j+8 <= len(b) {
			w := swar.Word(b, j)
			m := swar.Equal(w, '"') | swar.Equal(w, '\\')
			if m != 0 {
				j += swar.First(m)
				break
			}
			j += 8
		}
		if j == len(b) {
			break
		}
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
	if err != nil {
		return nil, false, err
	}
	return f.elements(list, detail, isEvent, envelope)
}

// elements is records once the object's members are known: list is the
// last value of the records field, detail the last "detail" value.
func (f *jsonFramer) elements(list, detail []byte, isEvent bool, envelope [][2][]byte) (elems [][]byte, ok bool, err error) {
	if list == nil && (!isEvent || len(detail) == 0 || detail[0] != '{') {
		return nil, false, nil
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
		return nil, false, errNotList
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

var errNotList = errors.New("records field is not a list")

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

func startsJSON(c byte) bool {
	switch c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	}
	return c >= '0' && c <= '9'
}
