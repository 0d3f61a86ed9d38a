// Package format frames an object's content into records and decodes each
// record into its raw fields, according to a log type's file format.
//
// Framing is cheap and done once (split step); decoding is per record
// (load step). A Record carries its 1-based number in the source object:
// the line number for line formats, the ordinal for JSON records.
//
// Each file format is a registered Format (Register, Lookup); a log type's
// format: names one and Resolve finds it, wrapped for CloudWatch Logs
// (CWL) or FireLens when the log type comes that way. README.md lists
// them and says how to add one.
package format

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/klauspost/compress/gzip"

	"github.com/siemloader/siem/shared/logtype"
)

// Record is one framed record.
type Record struct {
	Num int    // line number (text, csv) or ordinal (json), 1-based
	Raw []byte // the record as it appears in the source, trimmed
	// Header is the csv header in force for this record (csv only).
	Header string
	// Skip, when set, says why this record is counted as skipped instead
	// of loaded (a CloudWatch Logs control message).
	Skip string
	// Fields, when set, are the record's raw fields already decoded (a
	// Parquet row); Decode returns them as they are.
	Fields map[string]any
	// Error, when set, says why this record is dead-lettered as it is
	// (over MaxRecordBytes: Raw is its first bytes only). The records
	// after it are read.
	Error string
	// Into, when set, is an empty map the decoder may fill as the
	// record's fields instead of making one: the normalizer hands each
	// record the map of the last, emptied. Only the decoder that makes
	// the final fields uses it (a wrapper passes it on or leaves it).
	Into map[string]any
	// Stable says Raw is never written again (the loader's batch
	// arenas): the record's strings may share its bytes instead of
	// copying them (Text). A string kept past the record then keeps the
	// whole arena alive, so what outlives it copies (lru clones its
	// keys; the enrichers' cached values are their own).
	Stable bool
}

// text is raw, part of rec, as a string: sharing raw's bytes when rec
// is Stable, which saves copying every record once more.
func (rec Record) text(raw []byte) string {
	if rec.Stable && len(raw) > 0 {
		return unsafe.String(unsafe.SliceData(raw), len(raw))
	}
	return string(raw)
}

// fields returns the map a decoder fills with a record's fields: the
// record's Into, or a new map with room for n.
func fields(into map[string]any, n int) map[string]any {
	if into != nil {
		return into
	}
	return make(map[string]any, n)
}

// Framer yields records until io.EOF. Any other error is a *FrameError: the
// rest of the object could not be framed. A record's Raw may be reused by
// the next call to Next (the JSON framer reads through a window): copy it
// to keep it longer.
type Framer interface {
	Next() (Record, error)
}

// FrameError says where framing stopped and why.
type FrameError struct {
	Num    int   // record or line number where the problem starts
	Offset int64 // byte offset in the decompressed stream, when known
	Err    error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("record %d (byte %d): %v", e.Num, e.Offset, e.Err)
}
func (e *FrameError) Unwrap() error { return e.Err }

// Decompress returns a reader of the object's content, gunzipping when the
// content starts with the gzip magic. Plain text passes through. Gzip
// content is read within the limits in force (CurrentLimits): past
// MaxObjectBytes or MaxRatio, reads fail with a *LimitError.
func Decompress(r io.Reader) (io.Reader, error) {
	in := newCompressedIn(r)
	magic, err := in.buf.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return gunzip(in)
	}
	return in.buf, nil
}

// Gunzip reads gzip content (every member) within the limits in force.
func Gunzip(r io.Reader) (io.Reader, error) { return gunzip(newCompressedIn(r)) }

func gunzip(in *compressedIn) (io.Reader, error) {
	zr, err := gzip.NewReader(in.buf)
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	zr.Multistream(true)
	return &limitedReader{r: zr, in: in, l: CurrentLimits()}, nil
}

// NewFramer returns the framer for the definition's format over plain
// (already decompressed) content. A format that is not registered gives a
// framer of one FrameError naming the log type and the format.
func NewFramer(def *logtype.Definition, r io.Reader) Framer {
	f, err := Resolve(def)
	if err != nil {
		return Failed(err)
	}
	return f.Frame(def, r)
}

// newLineFramer is the framer of line formats: one record per non-empty
// line, after the definition's header lines.
func newLineFramer(def *logtype.Definition, r io.Reader) Framer {
	return &lineFramer{r: bufio.NewReaderSize(r, 256<<10), skip: def.HeaderLines, max: CurrentLimits().MaxRecordBytes}
}

// lineFramer yields one record per non-empty line.
type lineFramer struct {
	r      *bufio.Reader
	line   int
	skip   int // header lines to skip (text)
	csv    bool
	marker string // first field that marks a csv header line
	header string
	max    int64 // MaxRecordBytes (0: the default)
	offset int64 // bytes read, for FrameError
	// arena holds the lines handed out: records are copied into it
	// back to back instead of one allocation per line. It is only
	// appended to (a full arena is replaced), so a record's Raw stays
	// valid and unchanged after later calls to Next.
	arena []byte
}

// lineArena is the size of the blocks lines are copied into.
const lineArena = 64 << 10

func (f *lineFramer) Next() (Record, error) {
	if f.max <= 0 {
		f.max = DefaultLimits.MaxRecordBytes
	}
	for {
		b, total, err := readLine(f.r, f.max)
		if err != nil && IsLimit(err) {
			// A line cut by a decompression limit is part of the rest
			// that is not read: one dead letter says so, not two.
			return Record{}, &FrameError{Num: f.line + 1, Offset: f.offset, Err: err}
		}
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				return Record{}, io.EOF
			}
			return Record{}, &FrameError{Num: f.line + 1, Offset: f.offset, Err: err}
		}
		f.offset += total
		f.line++
		if total > f.max {
			raw := bytes.TrimSpace(b)
			return Record{Num: f.line, Raw: f.keep(raw), Header: f.header, Error: tooLongReason(total, f.max, len(raw))}, nil
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		if f.line <= f.skip {
			continue
		}
		if f.csv && f.isHeader(b) {
			if f.header != string(b) {
				f.header = string(b)
			}
			continue
		}
		if f.csv && b[0] == '#' {
			continue // a comment line ("#Version: 1.0"), not a record
		}
		return Record{Num: f.line, Raw: f.keep(b), Header: f.header}, nil
	}
}

// keep copies a line into the arena and returns the copy, its capacity cut
// to its length (an append to one record cannot reach the next).
func (f *lineFramer) keep(b []byte) []byte {
	if len(b) > cap(f.arena)-len(f.arena) {
		f.arena = make([]byte, 0, max(lineArena, len(b)))
	}
	start := len(f.arena)
	f.arena = append(f.arena, b...)
	return f.arena[start:len(f.arena):len(f.arena)]
}

// isHeader spots header lines: the marker as first field, or a line of
// field names (no digit anywhere, several names), which also covers
// comma-separated exports of the same fields.
func (f *lineFramer) isHeader(b []byte) bool {
	first := b
	if i := bytes.IndexAny(b, " ,"); i >= 0 {
		first = b[:i]
	}
	if f.marker != "" && string(first) == f.marker {
		return true
	}
	if bytes.ContainsAny(b, "0123456789{") {
		return false
	}
	return len(bytes.FieldsFunc(b, func(r rune) bool { return r == ' ' || r == ',' })) >= 3
}

// Decoded is one decoded record: its raw fields, and what the decoder
// learned about the record besides them. Those are typed here, never
// working keys in Fields: Fields holds the record's data only.
type Decoded struct {
	// Fields are the record's raw fields; normalization makes them the
	// document.
	Fields map[string]any
	// Problem, when set, says why a record that could be read is not
	// shaped as expected (a JSON object without the log type's required
	// field); normalize writes it to error.message and the record loads.
	Problem string
	// Message, when set, is the log line a wrapped record carries
	// (FireLens "log"): normalize makes it @message instead of the
	// record as framed.
	Message *string
	// CWL, when set, is the CloudWatch Logs envelope and event the
	// record came in.
	CWL *CWLMeta
	// Text, when set, is the record as framed, as the string the decoder
	// made of it (its values are substrings): normalize makes it @message
	// rather than copying the record again.
	Text string
}

// lineDecoder reads the fields of a text record from line, into
// rec.Into when it is set.
type lineDecoder func(def *logtype.Definition, rec Record, line string) (map[string]any, error)

// decodeTextRecord decodes raw, rec's text itself or the message it
// wraps ({"message": ...}), with one string made of it: the values decode
// reads are substrings of it. Only rec's text itself is the record as
// framed, and so its Text.
func decodeTextRecord(def *logtype.Definition, rec Record, raw []byte, decode lineDecoder) (Decoded, error) {
	line := rec.text(raw)
	fields, err := decode(def, rec, line)
	d := Decoded{Fields: fields}
	if len(raw) == len(rec.Raw) {
		d.Text = line
	}
	return d, err
}

// fieldsOnly is the Decoded of a decoder that learns nothing but fields.
func fieldsOnly(fields map[string]any, err error) (Decoded, error) {
	return Decoded{Fields: fields}, err
}

// Decode turns one framed record into its raw fields. It resolves def's
// format on every call (cheap, but a look-up per record): a caller that
// decodes many records resolves once (Resolve) and calls the Format's
// DecodeRouted, as normalize and replay do. Decode is for tests and
// one-off records.
func Decode(def *logtype.Definition, rec Record) (Decoded, error) {
	d, _, err := DecodeRouted(def, rec, nil)
	return d, err
}

// Router picks the log type of a CloudWatch Logs event from its envelope's
// log group and stream; nil keeps the object's log type.
type Router func(group, stream string) *logtype.Definition

// DecodeRouted is Decode for an object whose CloudWatch Logs envelopes
// may belong to other log types than the object's: route names the log
// type of each event's group, and the event is decoded (and returned) as
// that type. Records that are not CloudWatch Logs events keep def. Like
// Decode it resolves def's format on every call; normalize falls back to
// it only for a definition it has not resolved.
func DecodeRouted(def *logtype.Definition, rec Record, route Router) (Decoded, *logtype.Definition, error) {
	if rec.Fields != nil {
		return Decoded{Fields: rec.Fields}, def, nil
	}
	f, err := Resolve(def)
	if err != nil {
		return Decoded{}, def, err
	}
	return f.DecodeRouted(def, rec, route)
}

// docHeadroom is room made in a record's map for the fields normalization
// adds at the top level (@message, @timestamp, event, source, ...), so the
// map is not grown and rehashed on the way.
const docHeadroom = 12

// unwrapMessage returns the "message" of a line wrapped as a JSON object
// ({"message": "..."}, as CloudWatch Logs and Firehose deliver text),
// else the line itself.
func unwrapMessage(raw []byte) []byte {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return raw
	}
	var w struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(raw, &w) != nil || w.Message == nil {
		return raw
	}
	return []byte(strings.TrimSpace(*w.Message))
}

// splitFields splits a line into dst: on runs of white space when delim is
// empty (as strings.Fields), else on delim, with csv quoting when the line
// has quotes and delim is one byte.
func splitFields(s, delim string, dst []string) []string {
	if delim == "" {
		return splitSpace(s, dst)
	}
	if len(delim) == 1 && strings.Contains(s, `"`) {
		// Quoted values may hold the delimiter ("a, b") and doubled quotes.
		r := csv.NewReader(strings.NewReader(s))
		r.Comma = rune(delim[0])
		r.LazyQuotes = true
		r.FieldsPerRecord = -1
		if vals, err := r.Read(); err == nil {
			return vals
		}
	}
	for {
		i := strings.Index(s, delim)
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+len(delim):]
	}
}

// asciiSpace marks the bytes strings.Fields splits on in ASCII text.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// splitSpace is strings.Fields appending to dst; text with non-ASCII bytes
// goes to strings.Fields itself (Unicode white space).
func splitSpace(s string, dst []string) []string {
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return append(dst[:0], strings.Fields(s)...)
		}
		if asciiSpace[c] {
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}
