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
