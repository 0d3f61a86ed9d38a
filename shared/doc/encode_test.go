package doc

import (
	"encoding/json"
	"testing"
)

// The fast encoder must produce exactly what encoding/json produces.
func FuzzAppendJSONMatchesEncodingJSON(f *testing.F) {
	f.Add([]byte(`{"a":"x<y>&\u2028\n\"","b":[1,2.5,-3e10,true,null,{"c":{}}],"d":"\xff\xfe"}`))
	f.Add([]byte(`{"eventVersion":"1.08","n":12345678901234567890}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			return
		}
		got, err := AppendJSON(nil, v)
		if err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if string(got) != string(want) {
			t.Fatalf("input %q\n got %s\nwant %s", b, got, want)
		}
	})
}

func TestAppendJSONNumbersAndStrings(t *testing.T) {
	v := map[string]any{"n": json.Number("42"), "i": int64(-7), "s": []string{"a", "\x01"}, "bad": "\xff"}
	got, err := AppendJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"bad":"\ufffd","i":-7,"n":42,"s":["a","\u0001"]}`; string(got) != want {
		t.Errorf("got %s want %s", got, want)
	}
	if _, err := AppendJSON(nil, json.Number("1x")); err == nil {
		t.Error("invalid number accepted")
	}
}

// Every byte value at every position of strings of every length up to
// three words (through whole words and the bytes after the last, where a
// word-at-a-time escaper would go wrong), alone or after an escaped
// byte, is escaped as encoding/json escapes it.
func TestAppendStringEveryByteEveryPosition(t *testing.T) {
	for n := 1; n <= 24; n++ {
		for b := 0; b < 256; b++ {
			for pos := 0; pos < n; pos++ {
				for _, before := range []int{-1, 0, 5} {
					s := []byte("abcdefghijklmnopqrstuvwxyz"[:n])
					if before >= 0 && before < pos {
						s[before] = '<'
					}
					s[pos] = byte(b)
					want, _ := json.Marshal(string(s))
					if got := appendString(nil, string(s)); string(got) != string(want) {
						t.Fatalf("%q: got %s, want %s", s, got, want)
					}
				}
			}
		}
	}
}
