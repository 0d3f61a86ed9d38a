package doc

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/siemloader/siem/shared/swar"
)

// AppendJSON appends the JSON encoding of a document value to dst. It
// handles the types documents hold (objects, lists, strings, json.Number,
// integers, floats, booleans, nil) without reflection, with object keys
// sorted as encoding/json sorts them; anything else falls back to
// encoding/json. Invalid UTF-8 becomes U+FFFD, as with encoding/json.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, t), nil
	case json.Number:
		if t == "" {
			return append(dst, '0'), nil
		}
		if !validNumber(string(t)) {
			return nil, &json.UnsupportedValueError{Str: string(t)}
		}
		return append(dst, t...), nil
	case bool:
		return strconv.AppendBool(dst, t), nil
	case int:
		return strconv.AppendInt(dst, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(dst, t, 10), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(t, 'g', -1, 64)}
		}
		return appendFloat(dst, t), nil
	case map[string]any:
		return appendObject(dst, t)
	case []any:
		return writeList(dst, t, "", nil)
	case []string:
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendObject writes m with its members sorted, as AppendJSON does (an
// Encoder walks or sorts objects itself).
func appendObject(dst []byte, m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return append(dst, "{}"...), nil
	}
	// Members are gathered with their values so the sorted walk
	// needs no map lookups, on the stack in an array sized for m: the
	// array is zeroed on every call, and most objects are small.
	if len(m) <= 8 {
		var small [8]pair
		return writeMembers(dst, sortedMembers(m, small[:0]), nil)
	}
	var big [48]pair
	return writeMembers(dst, sortedMembers(m, big[:0]), nil)
}

func writeMembers(dst []byte, ms []pair, e *Encoder) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	for i := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, ms[i].k)
		dst = append(dst, ':')
		if dst, err = e.member(dst, ms[i].k, ms[i].v); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// writeList writes a list whose elements sit under name; with e, they go
// through e.
func writeList(dst []byte, l []any, name string, e *Encoder) ([]byte, error) {
	dst = append(dst, '[')
	var err error
	for i, el := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = e.member(dst, name, el); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// sortedMembers appends m's members to buf (a caller's stack array when
// it is big enough) and sorts them by key.
func sortedMembers(m map[string]any, buf []pair) []pair {
	for k, v := range m {
		buf = append(buf, pair{k, v})
	}
	sortMembers(buf)
	return buf
}

type pair struct {
	k string
	v any
}

// sortMembers sorts by key; small objects get an insertion sort, which
// keeps the buffer on the stack.
func sortMembers(a []pair) {
	if len(a) > 12 {
		slices.SortFunc(a, func(x, y pair) int { return strings.Compare(x.k, y.k) })
		return
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].k < a[j-1].k; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// appendFloat formats f as encoding/json does (ES6 number formatting:
// exponent form below 1e-6 and from 1e21, with e-07 written e-7).
func appendFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// validNumber reports whether s is a JSON number literal, as json.Valid
// does for a json.Number, without converting it to bytes.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

const hex = "0123456789abcdef"

// safe marks the ASCII bytes a JSON string holds as they are.
var safe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return
}()

// appendString writes a JSON string the way encoding/json does (including
// its escaping of <, > and & and of U+2028/U+2029).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			m := unsafeBytes(swar.Word(s, i))
			if m == 0 {
				i += 8
				continue
			}
			i += swar.First(m)
		}
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
