package format

import (
	"bufio"
	"bytes"
	"errors"
	"github.com/siemloader/siem/shared/logtype"
	"io"
	"regexp"
)

// Multiline: as text, a record being the lines from one line matching the
// log type's multiline_firstline to the next (stack traces, slow query
// logs).
var Multiline = &Format{
	Name: "multiline",
	Frame: func(def *logtype.Definition, r io.Reader) Framer {
		return &multilineFramer{r: bufio.NewReaderSize(r, 256<<10), first: def.FirstLineRegexp(), max: CurrentLimits().MaxRecordBytes}
	},
	Decode: decodeMultiline,
}

func init() { Register(Multiline) }

func decodeMultiline(def *logtype.Definition, rec Record) (Decoded, error) {
	raw := unwrapMessage(rec.Raw)
	first, _, _ := bytes.Cut(raw, []byte{'\n'})
	if !def.FirstLineRegexp().Match(first) {
		return Decoded{}, errors.New("lines before the first record (no line matching multiline_firstline starts them)")
	}
	return decodeTextRecord(def, rec, raw, decodeLine)
}

// multilineFramer yields records that span lines: each starts at a line
// matching the log type's first-line regex and runs to the next one
// (stack traces, slow query logs). Lines before the first match become a
// record of their own, which Decode rejects with the reason: a log that
// starts mid-record loses nothing silently.
type multilineFramer struct {
	r      *bufio.Reader
	first  *regexp.Regexp
	line   int
	cur    []byte
	curNum int
	curLen int64 // the record's length, counted on past max
	eof    bool
	max    int64 // MaxRecordBytes (0: the default)
}

func (f *multilineFramer) Next() (Record, error) {
	if f.max <= 0 {
		f.max = DefaultLimits.MaxRecordBytes
	}
	for !f.eof {
		b, total, err := readLine(f.r, f.max)
		if len(b) > 0 {
			f.line++
			line := bytes.TrimRight(b, "\r\n")
			if total > f.max {
				// A line over the limit is cut: it cannot match
				// multiline_firstline as a whole, so it goes on the
				// record being read (or starts one), counted in full.
				line = b
			}
			switch {
			case f.cur == nil:
				if len(bytes.TrimSpace(line)) > 0 {
					f.cur, f.curNum, f.curLen = append([]byte(nil), line...), f.line, total
				}
			case total <= f.max && f.first.Match(line):
				rec := f.record()
				f.cur, f.curNum, f.curLen = append([]byte(nil), line...), f.line, total
				return rec, nil
			default:
				f.curLen += total
				if int64(len(f.cur)) < f.max {
					f.cur = append(append(f.cur, '\n'), line...)
				}
				if int64(len(f.cur)) > f.max && len(f.cur) > TruncatedRawBytes {
					f.cur = append([]byte(nil), f.cur[:TruncatedRawBytes]...)
				}
			}
		}
		if err == io.EOF {
			f.eof = true
		} else if err != nil {
			return Record{}, &FrameError{Num: f.line + 1, Err: err}
		}
	}
	if f.cur == nil {
		return Record{}, io.EOF
	}
	rec := f.record()
	f.cur = nil
	return rec, nil
}

// record is the record being read, dead-lettered with its start when
// it is over the limit.
func (f *multilineFramer) record() Record {
	rec := Record{Num: f.curNum, Raw: bytes.TrimRight(f.cur, " \t\r\n")}
	if f.curLen > f.max {
		rec.Error = tooLongReason(f.curLen, f.max, len(rec.Raw))
	}
	return rec
}
