package doc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func stdDecode(b []byte) (any, error) {
	if !json.Valid(b) {
		return nil, json.Unmarshal(b, new(any))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// FuzzDecodeMatchesEncodingJSON: same verdict and same value as
// encoding/json with UseNumber, on any input.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":"x\u00e9\ud83d\ude00\n","b":[1,-2.5e3,true,false,null,{}],"c":{"d":[]}}`,
		`"\ud800"`, `"\ud800\u0041"`, "\"\xff\xfe\"", `[1,]`, `{"a":1,"a":2}`, `01`, `-`, `1e`, ` 7 `,
		`{"eventVersion":"1.08","userIdentity":{"type":"Root"},"n":123456789012345678901234567890}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := stdDecode(b)
		got, gerr := Decode(b)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json err=%v, Decode err=%v", b, werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", b, got, want)
		}
	})
}

// Interned values keep their type: the same text as a string and as a
// number, seen again and again, decodes as each.
func TestDecodeInternedKinds(t *testing.T) {
	in := []byte(`[{"a":"1","1":1},{"a":1,"1":"1"},"1",1,"1",1,"1\u0031",{"a":"1"}]`)
	want := []any{map[string]any{"a": "1", "1": json.Number("1")}, map[string]any{"a": json.Number("1"), "1": "1"}, "1", json.Number("1"), "1", json.Number("1"), "11", map[string]any{"a": "1"}}
	for i := 0; i < 3; i++ {
		got, err := Decode(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("pass %d: %#v %v", i, got, err)
		}
	}
}

// Every byte value at every position of a string's first two eight-byte
// words (where the word-at-a-time scan stops or goes on) decodes with
// the verdict and value encoding/json gives; so does a multi-byte rune
// cut by the closing quote at each position.
func TestDecodeStringEveryByteEveryPosition(t *testing.T) {
	check := func(s []byte) {
		t.Helper()
		in := append(append([]byte{'"'}, s...), '"')
		want, werr := stdDecode(in)
		got, gerr := Decode(in)
		if (werr == nil) != (gerr == nil) || (werr == nil && got != want) {
			t.Fatalf("%q: got %q (%v), want %q (%v)", in, got, gerr, want, werr)
		}
	}
	for b := 0; b < 256; b++ {
		for pos := 0; pos < 17; pos++ {
			s := []byte("abcdefghijklmnopqrstuvwxyz")
			s[pos] = byte(b)
			check(s)
		}
	}
	for n := 0; n < 17; n++ {
		check(append(bytes.Repeat([]byte("a"), n), "é"[:1]...))
		check(append(bytes.Repeat([]byte("a"), n), "é\\n"...))
	}
}
