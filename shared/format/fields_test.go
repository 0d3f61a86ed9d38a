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
		got, err := splitQuoted(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`a "open`, `a [open`} {
		if _, err := splitQuoted(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
