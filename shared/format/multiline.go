package format

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
)

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
	eof    bool
}

func (f *multilineFramer) Next() (Record, error) {
	for !f.eof {
		b, err := f.r.ReadBytes('\n')
		if len(b) > 0 {
			f.line++
			line := bytes.TrimRight(b, "\r\n")
			switch {
			case f.cur == nil:
				if len(bytes.TrimSpace(line)) > 0 {
					f.cur, f.curNum = append([]byte(nil), line...), f.line
				}
			case f.first.Match(line):
				rec := Record{Num: f.curNum, Raw: bytes.TrimRight(f.cur, " \t\r\n")}
				f.cur, f.curNum = append([]byte(nil), line...), f.line
				return rec, nil
			default:
				f.cur = append(append(f.cur, '\n'), line...)
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
	rec := Record{Num: f.curNum, Raw: bytes.TrimRight(f.cur, " \t\r\n")}
	f.cur = nil
	return rec, nil
}
