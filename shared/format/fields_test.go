package format

import (
	"reflect"
	"testing"
)

func TestSplitQuoted(t *testing.T) {
	cases := map[string][]string{
		`a [06/Feb/2019:00:00:38 +0000] "GET /x y HTTP/1.1" - "ua \"q\" v"`: {"a", "06/Feb/2019:00:00:38 +0000", "GET /x y HTTP/1.1", "-", `ua "q" v`},
		`"-" "" x`:  {"-", "", "x"},
		`  a   b  `: {"a", "b"},
		`"a"b" c`:   {`a"b`, "c"}, // a quote not followed by a space is data
	}
	for in, want := range cases {
		got, err := splitQuoted(in, nil)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`a "open`, `a [open`} {
		if _, err := splitQuoted(bad, nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Boxed values read as the strings they were made from, stay unchanged
// when more are boxed (a full array is replaced, not grown), and cost no
// allocation each.
func TestValuesBox(t *testing.T) {
	v := NewValues(2)
	in := []string{"a", "", "bc", "-", "d e", "f"}
	var got []any
	for _, s := range in {
		got = append(got, v.Box(s))
	}
	for i, s := range in {
		if g, ok := got[i].(string); !ok || g != s {
			t.Errorf("value %d: %#v, want %q", i, got[i], s)
		}
	}
	if !reflect.DeepEqual(got, []any{"a", "", "bc", "-", "d e", "f"}) {
		t.Errorf("boxed %#v", got)
	}
	vals := []string{"x", "", "yz"}
	for i := range vals {
		if g := BoxIn(vals, i); g != any(vals[i]) {
			t.Errorf("BoxIn %d: %#v", i, g)
		}
	}
	m := map[string]any{}
	w := NewValues(256) // AllocsPerRun calls the function 101 times
	line := "some line of text"
	if n := testing.AllocsPerRun(100, func() {
		m["k"] = w.Box(line[5:9])
	}); n != 0 {
		t.Errorf("Box allocates %v times per value", n)
	}
	if m["k"] != "line" {
		t.Errorf("map holds %#v", m["k"])
	}
}
