package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// framed is what a framer makes of some content: its records and how it
// ended.
type framed struct {
	recs []Record
	err  *FrameError
}

func (r framed) String() string {
	var b strings.Builder
	for _, rec := range r.recs {
		fmt.Fprintf(&b, "%d:%s\n", rec.Num, rec.Raw)
	}
	if r.err != nil {
		fmt.Fprintf(&b, "error %v\n", r.err)
	}
	return b.String()
}

func frameWith(t testing.TB, fr Framer) framed {
	t.Helper()
	var out framed
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			if !errors.As(err, &out.err) {
				t.Fatalf("not a FrameError: %v", err)
			}
			if _, err := fr.Next(); err != io.EOF {
				t.Fatalf("after a FrameError: %v", err)
			}
			return out
		}
		rec.Raw = bytes.Clone(rec.Raw) // valid until the next call only
		out.recs = append(out.recs, rec)
	}
}

// streamed frames content with a window of the given size, read one byte
// at a time when oneByte is set.
func streamed(t testing.TB, content, field string, win int, oneByte bool) framed {
	var r io.Reader = strings.NewReader(content)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	f := newJSONFramer(r, field)
	if win > 0 {
		f.window = win
	}
	return frameWith(t, f)
}

// wholeFrame is the framer as it was before it streamed (the whole content
// read, then scanned): the reference the streaming framer is checked
// against.
func wholeFrame(content []byte, field string) framed {
	f := newJSONFramer(nil, field)
	var out framed
	buf, pos, n := content, 0, 0
	emit := func(v []byte) {
		n++
		if bytes.ContainsAny(v, "\n\r") {
			var c bytes.Buffer
			if err := json.Compact(&c, v); err == nil {
				v = c.Bytes()
			} else {
				v = bytes.Join(bytes.Fields(v), []byte(" "))
			}
		}
		out.recs = append(out.recs, Record{Num: n, Raw: bytes.Clone(v)})
	}
	for {
		for pos < len(buf) && isSpace(buf[pos]) {
			pos++
		}
		if pos >= len(buf) {
			return out
		}
		start := pos
		if !startsJSON(buf[start]) {
			end := bytes.IndexByte(buf[start:], '\n')
			if end < 0 {
				end = len(buf) - start
			}
			pos = start + end
			emit(bytes.TrimSpace(buf[start:pos]))
			continue
		}
		end, err := skipValue(buf, start)
		if err != nil {
			out.err = &FrameError{Num: n + 1, Offset: int64(start), Err: fmt.Errorf("invalid JSON: %w", err)}
			return out
		}
		pos = end
		v := buf[start:end]
		if v[0] == '[' {
			// A top-level list: each element is a record.
			for j := 1; ; {
				for j < len(v) && (isSpace(v[j]) || v[j] == ',') {
					j++
				}
				if j >= len(v) || v[j] == ']' {
					break
				}
				e, err := skipValue(v, j)
				if err != nil {
					out.err = &FrameError{Num: n + 1, Offset: int64(start + j), Err: fmt.Errorf("invalid JSON: %w", err)}
					return out
				}
				emit(v[j:e])
				j = e
			}
			continue
		}
		if f.fields == nil {
			emit(v)
			continue
		}
		elems, ok, err := f.records(v)
		if err != nil {
			out.err = &FrameError{Num: n + 1, Offset: int64(start), Err: fmt.Errorf("invalid JSON: %w", err)}
			return out
		}
		if !ok {
			emit(v)
			continue
		}
		for _, e := range elems {
			emit(e)
		}
	}
}

func sameRecords(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Num != b[i].Num || !bytes.Equal(a[i].Raw, b[i].Raw) {
			return false
		}
	}
	return true
}

func sameFramed(a, b framed) bool {
	if !sameRecords(a.recs, b.recs) || (a.err == nil) != (b.err == nil) {
		return false
	}
	return a.err == nil || (a.err.Num == b.err.Num && a.err.Offset == b.err.Offset && a.err.Err.Error() == b.err.Err.Error())
}

var framerCases = []struct {
	name, field, content string
}{
	{"cloudtrail", "Records", `{"Records":[{"eventVersion":"1.08","a":[1,2,{"b":"}]\"["}]},` + "\n" + ` {"eventVersion":"1.09"} , 7, -1.5e3,true,null,"s"]}`},
	{"cloudtrail pretty", "Records", "{\n  \"Records\": [\n    {\n      \"eventVersion\": \"1.08\",\n      \"x\": \"a b\"\n    }\n  ]\n}\n"},
	{"members around", "Records", `{"a":{"Records":[1]},"Records":[{"x":1}],"z":"Records","n":[{"Records":[]}]}{"Records":[]}`},
	{"records not first", "Records", `{"digest":"x","Records":[{"x":1},{"y":2}]}`},
	{"bare events", "Records", `{"eventVersion":"1.08","eventName":"A"}` + "\n" + `{"eventVersion":"1.08","eventName":"B"}`},
	{"ndjson no field", "", "{\"a\":1}\n{\"b\":\n2}\n[1,2]\n\"s\"\n12 true\n"},
	{"concatenated", "findings|Findings", `{"findings":[{"Id":"a"}]}{"Findings":[{"Id":"b"},{"Id":"c"}]}{"other":1}`},
	{"eventbridge detail", "findings", `{"version":"0","id":"ev-1","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","account":"123456789012","time":"2024-03-04T05:06:07Z","region":"eu-west-1","resources":[],"detail":{"findings":[{"Id":"f1","id":"own"},{ }, 5]}}`},
	{"eventbridge envelope after detail", "findings", `{"detail":{"findings":[{"Id":"f1"}]},"id":"ev-2","detail-type":"x","region":"r","id":"ev-3"}`},
	{"eventbridge without list", "findings", `{"detail-type":"x","detail":{"Id":"single"},"id":"e"}`},
	{"detail and top list", "findings", `{"detail-type":"x","id":"e","detail":{"findings":[{"Id":"in"}]},"findings":[{"Id":"top"}]}`},
	{"text line", "Records", "not json at all\n{\"Records\":[{\"a\":1}]}\n  another line  \n"},
	{"text last line", "Records", "{\"Records\":[]}\nplain end"},
	{"records field not a list", "Records", `{"Records":[{"a":1}]}{"Records":"no"}`},
	{"records field null", "Records", `{"Records":null}`},
	{"records list then not a list", "Records", `{"Records":[{"a":1}],"x":1}{"b":1,"Records":{"c":2}}`},
	{"commas and spaces", "Records", `{ , "Records" : [ , {"a":1} ,, {"b":2} , ] , }`},
	{"truncated element", "Records", `{"Records":[{"a":1},{"b":2},{"c":"x`},
	{"truncated after list", "Records", `{"Records":[{"a":1},{"b":2}],"x":`},
	{"truncated bare event", "Records", `{"Records":[{"a":1}]}{"eventVersion":"1.08","x":[1,`},
	{"truncated eventbridge", "findings", `{"findings":[{"Id":"a"}]}` + "\n" + `{"version":"0","id":"truncated","detail-type":"x","detail":{"findings":[{"Id":"x"` + "\n"},
	{"truncated in string", "Records", `{"Records":[{"a":"unterminated`},
	{"bad key", "Records", `{"Records":[{"a":1}], 5:1}`},
	{"bad key before list", "Records", `{"x":1, 5:1, "Records":[{"a":1}]}`},
	{"missing colon", "Records", `{"x" 1, "Records":[{"a":1}]}`},
	{"missing value", "Records", `{"x":, "Records":[{"a":1}]}`},
	{"bad element", "Records", `{"Records":[{"a":1},}]}`},
	{"bracket mismatch", "Records", `{"Records":[{"a":1}]]}`},
	{"extra close", "Records", `{"Records":[{"a":1}]}}` + "\n" + `{"Records":[{"b":1}]}`},
	{"top-level array", "", "[\n  {\"a\": 1},\n  {\"b\":\n 2}, 7\n]\n{\"c\":3}[]"},
	{"top-level array of records files", "Records", `[{"Records":[{"x":1}]},{"y":2}] {"Records":[{"z":3}]}`},
	{"scalar top", "Records", `12345 "str" [1,2,{"Records":[3]}]`},
	{"big element", "Records", `{"Records":[{"s":"` + strings.Repeat("x", 5000) + `"},{"t":` + strings.Repeat("1", 3000) + `}]}`},
	{"unicode space line", "Records", "\v\n{\"Records\":[]}\n\u00a0x\n\u0085"},
	{"empty", "Records", ""},
	{"blank", "Records", " \n\t "},
}

// The streaming framer yields what the whole-content framer yielded, for
// every window size and read size, except that the records of a streamed
// list that come before damage are yielded (and the error then says where
// the damage is).
func TestJSONFramerMatchesWholeContent(t *testing.T) {
	damagedAfterRecords := map[string]framed{
		"truncated element": {recs: []Record{{Num: 1, Raw: []byte(`{"a":1}`)}, {Num: 2, Raw: []byte(`{"b":2}`)}},
			err: &FrameError{Num: 3, Offset: 28, Err: errors.New("invalid JSON: unterminated string")}},
		"truncated after list": {recs: []Record{{Num: 1, Raw: []byte(`{"a":1}`)}, {Num: 2, Raw: []byte(`{"b":2}`)}},
			err: &FrameError{Num: 3, Offset: 29, Err: errors.New("invalid JSON: unterminated object or list")}},
		"truncated in string": {err: &FrameError{Num: 1, Offset: 12, Err: errors.New("invalid JSON: unterminated string")}},
		"bad key": {recs: []Record{{Num: 1, Raw: []byte(`{"a":1}`)}},
			err: &FrameError{Num: 2, Offset: 22, Err: errors.New("invalid JSON: object key expected at byte 22")}},
		"bad element": {recs: []Record{{Num: 1, Raw: []byte(`{"a":1}`)}},
			err: &FrameError{Num: 2, Offset: 20, Err: errors.New("invalid JSON: unexpected '}'")}},
		"bracket mismatch": {recs: []Record{{Num: 1, Raw: []byte(`{"a":1}`)}},
			err: &FrameError{Num: 2, Offset: 20, Err: errors.New("invalid JSON: object key expected at byte 20")}},
		"records list then not a list": {recs: []Record{{Num: 1, Raw: []byte(`{"a":1}`)}},
			err: &FrameError{Num: 2, Offset: 27, Err: errors.New("invalid JSON: records field is not a list")}},
	}
	for _, c := range framerCases {
		t.Run(c.name, func(t *testing.T) {
			want, ok := damagedAfterRecords[c.name]
			if !ok {
				want = wholeFrame([]byte(c.content), c.field)
			}
			for _, win := range []int{0, 1, 2, 3, 7, 64, 4096} {
				for _, oneByte := range []bool{false, true} {
					got := streamed(t, c.content, c.field, win, oneByte)
					if !sameFramed(got, want) {
						t.Fatalf("window %d, one byte %v:\n got %s\nwant %s", win, oneByte, got, want)
					}
				}
			}
		})
	}
}

// failingReader returns its content, then an error instead of io.EOF (a
// truncated gzip stream).
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = f.err
	}
	return n, err
}

// A read error ends framing where it happens: the records before it load.
func TestJSONFramerReadError(t *testing.T) {
	content := `{"Records":[{"a":1},{"b":2},{"c":`
	for _, win := range []int{0, 1, 5} {
		f := newJSONFramer(&failingReader{strings.NewReader(content), io.ErrUnexpectedEOF}, "Records")
		if win > 0 {
			f.window = win
		}
		got := frameWith(t, f)
		if len(got.recs) != 2 || got.err == nil || got.err.Num != 3 || got.err.Err != io.ErrUnexpectedEOF || got.err.Offset != 28 {
			t.Errorf("window %d: %s", win, got)
		}
	}
	// Between two values, the error is still reported.
	got := frameWith(t, newJSONFramer(&failingReader{strings.NewReader("{\"a\":1}\n"), io.ErrUnexpectedEOF}, ""))
	if len(got.recs) != 1 || got.err == nil || got.err.Num != 2 || got.err.Err != io.ErrUnexpectedEOF {
		t.Errorf("between values: %s", got)
	}
}

// validJSONValues reports whether content is a run of JSON values, as
// encoding/json reads them.
func validJSONValues(content string) bool {
	dec := json.NewDecoder(strings.NewReader(content))
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return true
		} else if err != nil {
			return false
		}
	}
}

// FuzzJSONFramer: the window size does not change what is framed, and
// content the whole-content framer framed without error frames the same
// (a repeated records field streams every list, not the last only).
func FuzzJSONFramer(f *testing.F) {
	for _, c := range framerCases {
		f.Add(c.content, c.field == "Records", uint8(3))
	}
	f.Fuzz(func(t *testing.T, content string, cloudtrail bool, win uint8) {
		// Only the first 512 bytes run, cut without a branch: the
		// fuzzer minimizes each new input with about n² runs, and long
		// inputs made it spend its minutes there (see golden.MaxFuzzInput).
		content = content[:min(len(content), 512)]
		field := "findings|Findings"
		if cloudtrail {
			field = "Records"
		}
		want := streamed(t, content, field, 0, false)
		if got := streamed(t, content, field, int(win)%32+1, win&1 == 1); !sameFramed(got, want) {
			t.Fatalf("window %d:\n got %s\nwant %s", int(win)%32+1, got, want)
		}
		whole := wholeFrame([]byte(content), field)
		if whole.err != nil {
			// Streamed records before the damage load: as many as before,
			// or more.
			if want.err == nil && len(want.recs) < len(whole.recs) {
				t.Fatalf("damaged content:\n got %s\nwhole %s", want, whole)
			}
			return
		}
		if want.err != nil {
			// skipValue, which the whole-content framer uses, only
			// checks what framing needs ("[1\x01}" passes it); the
			// streamed error is right when encoding/json rejects the
			// content too.
			if !validJSONValues(content) {
				return
			}
			t.Fatalf("framed with an error:\n got %s\nwhole %s", want, whole)
		}
		if len(want.recs) == len(whole.recs) {
			if !sameRecords(want.recs, whole.recs) {
				t.Fatalf("\n got %s\nwhole %s", want, whole)
			}
			return
		}
		// More records: only a repeated records field.
		repeats := 0
		for _, name := range strings.Split(field, "|") {
			repeats += strings.Count(content, `"`+name+`"`)
		}
		if len(want.recs) < len(whole.recs) || repeats < 2 {
			t.Fatalf("\n got %s\nwhole %s", want, whole)
		}
	})
}

// skipStringBytewise is skipString one byte at a time, as it was before
// it scanned words.
func skipStringBytewise(b []byte, i int) (int, error) {
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

// A quote, an escape or an escaped quote at every position of the first
// two words, with the string ending there or going on, is skipped to the
// same end as one byte at a time.
func TestSkipStringEveryPosition(t *testing.T) {
	for _, put := range []string{`"`, `\`, `\"`, `\\`, `\\"`} {
		for pos := 1; pos < 18; pos++ {
			for _, tail := range []string{"", `"`, `x"`, `0123456789abcdef"`} {
				b := []byte(`"abcdefghijklmnopqrstuvwxyz`)
				b = append(append(b[:pos:pos], put...), tail...)
				want, werr := skipStringBytewise(b, 0)
				got, gerr := skipString(b, 0)
				if got != want || (werr == nil) != (gerr == nil) {
					t.Fatalf("%q: got %d (%v), want %d (%v)", b, got, gerr, want, werr)
				}
			}
		}
	}
}
