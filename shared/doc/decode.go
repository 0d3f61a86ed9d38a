package doc

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/siemloader/siem/shared/swar"
)

// Decode parses one JSON value into the types documents hold: objects as
// map[string]any, lists as []any, numbers as json.Number (the literal is
// kept), strings, booleans and nil. It accepts what encoding/json accepts
// (invalid UTF-8 becomes U+FFFD) and is several times faster than
// encoding/json with UseNumber, which matters for JSON logs.
func Decode(b []byte) (any, error) { return DecodeInto(b, 0, nil) }

// DecodeInto is Decode with room for extra more members in the map of a
// top-level object (a record's map gets the fields normalization adds,
// @message, event, source..., without being grown and rehashed), and
// that map, when into is not nil, being into (empty; reused).
func DecodeInto(b []byte, extra int, into map[string]any) (any, error) {
	st := states.Get().(*state)
	d := decoder{b: b, st: st, room: extra, into: into}
	d.space()
	v, err := d.value(0)
	if err == nil {
		d.space()
		if d.i != len(d.b) {
			v, err = nil, d.errorf("unexpected data after the value")
		}
	}
	if err != nil {
		// Members and elements of the containers left open: nothing
		// decoded stays reachable from the pool (complete containers
		// clear their own).
		clear(st.kvs)
		clear(st.vals)
		st.kvs, st.vals = st.kvs[:0], st.vals[:0]
		states.Put(st)
		return nil, err
	}
	states.Put(st)
	return v, nil
}

type decoder struct {
	b    []byte
	i    int
	st   *state
	room int            // extra members for the top-level object's map
	into map[string]any // the top-level object's map, when not nil
}

// state is what decoding reuses from one value to the next: the interned
// strings and the scratch stacks objects and lists are built on (so each
// gets its exact size: one allocation, no growth).
type state struct {
	intern [internSize]interned
	seen   [seenSize]uint64 // hashes of strings seen once, not interned yet
	kvs    []member
	vals   []any
	esc    []byte
}

type member struct {
	k string
	v any
}

// interned is a string decoded before (object keys, and values seen
// twice: account ids, event names, regions...), with its boxed value, so
// it costs no allocation. h is the string's hash, its low bit 1 for a
// number's literal.
type interned struct {
	h uint64
	s string
	v any
}

const (
	internSize = 4096
	seenSize   = 4096
	// internMax is the longest string interned (user agents, ARNs).
	internMax = 256
)

var (
	states = sync.Pool{New: func() any { return new(state) }}
	seed   = maphash.MakeSeed()
)

// key returns an object key: keys repeat from record to record, so they
// are interned on first sight.
func (st *state) key(b []byte) string {
	if len(b) > internMax {
		return string(b)
	}
	h := maphash.Bytes(seed, b) &^ 1
	e := &st.intern[h%internSize]
	if e.h == h && e.s == string(b) {
		return e.s
	}
	s := string(b)
	*e = interned{h: h, s: s}
	return s
}

// value returns a string or number value, boxed; a value is interned the
// second time it is seen.
func (st *state) value(b []byte, number bool) any {
	h := maphash.Bytes(seed, b) &^ 1
	if number {
		h |= 1
	}
	e := &st.intern[h%internSize]
	if e.h == h && e.s == string(b) {
		if e.v == nil {
			e.v = box(e.s, number)
		}
		return e.v
	}
	if len(b) > internMax {
		return box(string(b), number)
	}
	if seen := &st.seen[h%seenSize]; *seen != h {
		*seen = h
		return box(string(b), number)
	}
	s := string(b)
	*e = interned{h: h, s: s, v: box(s, number)}
	return e.v
}

func box(s string, number bool) any {
	if number {
		return json.Number(s)
	}
	return s
}

const maxDepth = 10000

func (d *decoder) errorf(format string, a ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", d.i, fmt.Sprintf(format, a...))
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("nested too deeply")
	}
	if d.i >= len(d.b) {
		return nil, d.errorf("unexpected end")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.strValue()
	case c == 't':
		return d.literal("true", true)
	case c == 'f':
		return d.literal("false", false)
	case c == 'n':
		return d.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return nil, d.errorf("unexpected %q", c)
	}
}

func (d *decoder) literal(word string, v any) (any, error) {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return nil, d.errorf("invalid literal")
	}
	d.i += len(word)
	return v, nil
}

func (d *decoder) object(depth int) (any, error) {
	d.i++ // {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return map[string]any{}, nil
	}
	base := len(d.st.kvs)
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, d.errorf("object key expected")
		}
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, d.errorf("':' expected")
		}
		d.i++
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.st.kvs = append(d.st.kvs, member{k, v})
		d.space()
		if d.i >= len(d.b) {
			return nil, d.errorf("unexpected end in object")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			kvs := d.st.kvs[base:]
			var m map[string]any
			switch {
			case depth > 0:
				m = make(map[string]any, len(kvs))
			case d.into != nil:
				m = d.into
			default:
				m = make(map[string]any, len(kvs)+d.room)
			}
			for _, kv := range kvs {
				m[kv.k] = kv.v // a repeated key keeps the last value, as encoding/json
			}
			clear(kvs)
			d.st.kvs = d.st.kvs[:base]
			return m, nil
		default:
			return nil, d.errorf("',' or '}' expected")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	d.i++ // [
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return []any{}, nil
	}
	base := len(d.st.vals)
	for {
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.st.vals = append(d.st.vals, v)
		d.space()
		if d.i >= len(d.b) {
			return nil, d.errorf("unexpected end in list")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			vals := d.st.vals[base:]
			a := make([]any, len(vals))
			copy(a, vals)
			clear(vals)
			d.st.vals = d.st.vals[:base]
			return a, nil
		default:
			return nil, d.errorf("',' or ']' expected")
		}
	}
}

func (d *decoder) number() (any, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return nil, d.errorf("invalid number")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	return d.st.value(d.b[start:d.i], true), nil
}

var errString = errors.New("invalid string")

// key reads an object key.
func (d *decoder) key() (string, error) {
	b, err := d.str()
	if err != nil {
		return "", err
	}
	return d.st.key(b), nil
}

// strValue reads a string value, boxed.
func (d *decoder) strValue() (any, error) {
	b, err := d.str()
	if err != nil {
		return nil, err
	}
	return d.st.value(b, false), nil
}

// str reads a string and returns its decoded bytes: a slice of the input
// or of the escape buffer, valid until the next string is read.
func (d *decoder) str() ([]byte, error) {
	d.i++ // opening quote
	start := d.i
	// Fast path: no escapes, no control characters.
	ascii := true
	for d.i < len(d.b) {
		if d.i+8 <= len(d.b) {
			w := swar.Word(d.b, d.i)
			m := stringEnds(w)
			if m == 0 {
				ascii = ascii && w&swar.Highs == 0
				d.i += 8
				continue
			}
			k := swar.First(m)
			ascii = ascii && w&swar.Highs&(1<<(8*k)-1) == 0
			d.i += k
		}
		c := d.b[d.i]
		if c == '"' {
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return []byte(string([]rune(string(s)))), nil // invalid bytes -> U+FFFD
			}
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		d.i++
	}
	buf := append(d.st.esc[:0], d.b[start:d.i]...)
	b, err := d.escaped(buf)
	d.st.esc = buf[:0]
	if cap(b) > cap(buf) {
		d.st.esc = b[:0]
	}
	return b, err
}

// escaped reads the rest of a string holding escapes, after buf.
func (d *decoder) escaped(buf []byte) ([]byte, error) {
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(buf) {
				return []byte(string([]rune(string(buf)))), nil
			}
			return buf, nil
		case c < 0x20:
			return nil, d.errorf("control character in string")
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return nil, d.errorf("unterminated escape")
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return nil, d.errorf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						if x, ok := d.hex4(); ok {
							r2 = x
						} else {
							return nil, d.errorf("invalid \\u escape")
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
						d.i = save
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return nil, d.errorf("invalid escape \\%c", e)
			}
		default:
			buf = append(buf, c)
			d.i++
		}
	}
	return nil, errString
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
