package doc

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
)

// The Encoder writes what AppendJSON writes, whatever the sequence of
// shapes: same members, another member of the same count, members in
// lists, objects that shrink and grow, keys that need escaping, objects
// of every size from empty to the widest (small ones take the walk too).
func TestEncoderMatchesAppendJSON(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "@id", "event", "source", `q"uote`, "<html>"}
	var gen func(depth int) map[string]any
	gen = func(depth int) map[string]any {
		m := map[string]any{}
		n := r.Intn(18)
		for i := 0; i < n; i++ {
			k := names[r.Intn(len(names))]
			switch {
			case depth < 3 && r.Intn(4) == 0:
				m[k] = gen(depth + 1)
			case depth < 3 && r.Intn(6) == 0:
				m[k] = []any{gen(depth + 1), "x", gen(depth + 1)}
			default:
				m[k] = fmt.Sprint(r.Intn(100))
			}
		}
		return m
	}
	var e Encoder
	var buf []byte
	base := gen(0)
	for i := 0; i < 3000; i++ {
		d := base
		switch i % 4 {
		case 1: // same count, one member swapped
			d = map[string]any{}
			for k, v := range base {
				d[k] = v
			}
			for k := range d {
				delete(d, k)
				break
			}
			d["zz"+fmt.Sprint(i)] = "new"
		case 2:
			d = gen(0)
		case 3: // fewer members: written by walking the union
			d = map[string]any{}
			for k, v := range base {
				d[k] = v
			}
			for k := range d {
				if r.Intn(3) == 0 {
					delete(d, k)
				}
			}
		}
		want, err := AppendJSON(nil, d)
		if err != nil {
			t.Fatal(err)
		}
		buf, err = e.Append(buf[:0], d)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf) != string(want) {
			t.Fatalf("document %d:\n encoder %s\n    want %s", i, buf, want)
		}
		if !json.Valid(buf) {
			t.Fatalf("document %d: invalid JSON", i)
		}
	}
}

func TestEncoderError(t *testing.T) {
	var e Encoder
	m := map[string]any{}
	for i := 0; i < 12; i++ {
		m[fmt.Sprint("k", i)] = i
	}
	if _, err := e.Append(nil, m); err != nil {
		t.Fatal(err)
	}
	m["k3"] = json.Number("1x")
	if _, err := e.Append(nil, m); err == nil {
		t.Fatal("an invalid number was encoded")
	}
}

// A long string met again under a name is written from the encoding
// kept for it, and a new string under the name (of the same length, or
// the same text in other bytes) is encoded afresh: what AppendJSON
// writes, document after document.
func TestEncoderRepeatedStrings(t *testing.T) {
	key := "AWSLogs/123456789012/elasticloadbalancing/us-east-1/<2024>/x.log.gz"
	other := "AWSLogs/210987654321/elasticloadbalancing/us-east-1/<2024>/x.log.gz"
	copied := string([]byte(key))
	values := []string{key, key, key, other, other, key, copied, copied, "short", "short", key}
	var e Encoder
	for i, v := range values {
		d := map[string]any{"@log_s3key": v, "a": "1", "b": "2", "c": "3", "d": map[string]any{"k": v, "a": "1", "b": "2", "c": "3", "e": v}}
		got, err := e.Append(nil, d)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := AppendJSON(nil, d)
		if string(got) != string(want) {
			t.Fatalf("document %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// Every forgetEvery documents the Encoder lets go of the strings it
// remembers, so a string met once does not keep its bytes alive for
// the rest of a large object.
func TestEncoderForgetsStrings(t *testing.T) {
	var e Encoder
	held := func() (n int) {
		for _, o := range e.orders {
			for _, ks := range [2][]objKey{o.keys, o.spare} {
				for _, k := range ks[:cap(ks)] {
					if k.last != "" {
						n++
					}
				}
			}
		}
		return n
	}
	long := "a string long enough to be remembered"
	for i := 1; i < forgetEvery; i++ {
		d := map[string]any{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}
		if i == 5 || i == 10 { // met, then walked: remembered
			d["rare"] = long
		}
		if _, err := e.Append(nil, d); err != nil {
			t.Fatal(err)
		}
	}
	if held() == 0 {
		t.Fatal("no string remembered: the test no longer tests forgetting")
	}
	if _, err := e.Append(nil, map[string]any{"a": "1"}); err != nil {
		t.Fatal(err)
	}
	if n := held(); n != 0 {
		t.Fatalf("%d strings still held after %d documents", n, forgetEvery)
	}
}

// Objects nested under the name of the object being walked (lists of
// objects under names their parents sit under too, as CloudTrail's
// "items" in "items") change the union under that name while the walk
// reads it: the walk must still write every member once. Before the
// Encoder kept them apart, a document came out
// with members repeated and others lost (seed 39, its fourth document).
func TestEncoderNestedSameNames(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"}
	for seed := int64(0); seed < 40; seed++ {
		r := rand.New(rand.NewSource(seed))
		var gen func(depth int) map[string]any
		gen = func(depth int) map[string]any {
			m := map[string]any{}
			for n := r.Intn(12); n > 0; n-- {
				k := names[r.Intn(len(names))]
				switch {
				case depth < 3 && r.Intn(3) == 0:
					m[k] = []any{gen(depth + 1), gen(depth + 1)}
				case depth < 3 && r.Intn(4) == 0:
					m[k] = gen(depth + 1)
				default:
					m[k] = fmt.Sprint(r.Intn(100))
				}
			}
			return m
		}
		var e Encoder
		var buf []byte
		for i := 0; i < 20; i++ {
			d := gen(0)
			want, err := AppendJSON(nil, d)
			if err != nil {
				t.Fatal(err)
			}
			if buf, err = e.Append(buf[:0], d); err != nil {
				t.Fatal(err)
			}
			if string(buf) != string(want) {
				t.Fatalf("seed %d, document %d:\n encoder %.300s...\n    want %.300s...", seed, i, buf, want)
			}
		}
	}
}
