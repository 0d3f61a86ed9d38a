package format

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/siemloader/siem/shared/logtype"
)

// Values boxes the string values of one record for its map[string]any
// without an allocation per value. Storing a string in an interface copies
// its header (pointer and length) to the heap each time; a record of 30
// fields paid 30 tiny allocations for it. Values keeps the headers in one
// array and hands out interface values that point into it.
//
// The array is only ever appended to, and a full one is replaced, never
// reused or grown in place, so a boxed value never changes after it is
// handed out: the interface values are as immutable as ordinary ones.
type Values struct{ buf []string }

// NewValues returns Values with room for n strings in its first array.
func NewValues(n int) Values { return Values{buf: make([]string, 0, n)} }

// Box returns s as an interface value (an ordinary string to every reader).
func (v *Values) Box(s string) any {
	if s == "" {
		return ""
	}
	if len(v.buf) == cap(v.buf) {
		v.buf = make([]string, 0, max(16, 2*cap(v.buf)))
	}
	v.buf = append(v.buf, s)
	return boxAt(&v.buf[len(v.buf)-1])
}

// BoxIn returns vals[i] as an interface value that points at vals[i]
// itself: the caller must never write to vals again.
func BoxIn(vals []string, i int) any {
	if vals[i] == "" {
		return ""
	}
	return boxAt(&vals[i])
}

// boxAt returns the interface value holding the string *p, pointing at p
// instead of at a fresh copy of the header. An interface holding a string
// is a type word and a pointer to the string header; only the pointer
// differs from any(*p).
func boxAt(p *string) any {
	var a any = ""
	(*[2]unsafe.Pointer)(unsafe.Pointer(&a))[1] = unsafe.Pointer(p)
	return a
}

// splitQuoted splits a line on spaces; a value in double quotes may hold
// spaces and \" escapes, a value in square brackets may hold spaces (the
// brackets are dropped): the layout of S3 server access logs, CloudFront
// and most web server logs. Values are appended to dst and are substrings
// of s unless they hold escapes.
func splitQuoted(s string, dst []string) ([]string, error) {
	out := dst
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '"':
			j := i + 1
			escaped := false
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					escaped = true
					j++
					continue
				}
				if s[j] == '"' && (j+1 == len(s) || s[j+1] == ' ') {
					break
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("field %d: quote opened at column %d is never closed", len(out)-len(dst)+1, i+1)
			}
			v := s[i+1 : j]
			if escaped {
				v = unescapeQuoted(v)
			}
			out = append(out, v)
			i = j + 1
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("field %d: bracket opened at column %d is never closed", len(out)-len(dst)+1, i+1)
			}
			out = append(out, s[i+1:i+end])
			i += end + 1
		default:
			end := strings.IndexByte(s[i:], ' ')
			if end < 0 {
				end = len(s) - i
			}
			out = append(out, s[i:i+end])
			i += end
		}
	}
	return out, nil
}

// unescapeQuoted resolves \" and \\ in a quoted value; other backslashes
// are data.
func unescapeQuoted(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for j := 0; j < len(s); j++ {
		if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
			j++
		}
		b.WriteByte(s[j])
	}
	return b.String()
}

// Fields: one record per line, its values separated as the log type's
// delimiter says (white space when empty, quotes honoured) and named by its
// columns in order; a line may stop after min_columns values.
var Fields = &Format{
	Name:  "fields",
	Frame: newLineFramer,
	Decode: func(def *logtype.Definition, rec Record) (Decoded, error) {
		return decodeTextRecord(def, rec, unwrapMessage(rec.Raw), decodeFields)
	},
}

func init() { Register(Fields) }

// decodeFields names the values of a "fields" line by the definition's
// columns. Lines may stop after min_columns (older format versions);
// values past the known columns are kept in extra_fields.
func decodeFields(def *logtype.Definition, rec Record, line string) (map[string]any, error) {
	// One string for the line; the values are substrings of it, boxed
	// in place (vals is not written again).
	vals, err := splitQuoted(line, make([]string, 0, len(def.Columns)+4))
	if err != nil {
		return nil, err
	}
	min := def.MinColumns
	if min == 0 {
		min = len(def.Columns)
	}
	if len(vals) < min {
		return nil, fmt.Errorf("line has %d fields, want at least %d (through %s)", len(vals), min, def.Columns[min-1])
	}
	out := fields(rec.Into, len(vals)+docHeadroom)
	for i, v := range vals {
		if i >= len(def.Columns) {
			out["extra_fields"] = strings.Join(vals[i:], " ")
			break
		}
		if v != "" && v != "-" {
			out[def.Columns[i]] = BoxIn(vals, i)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("line holds no values")
	}
	return out, nil
}
