package pipeline

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/format"
)

// Every kind of framed record survives a staged chunk file unchanged.
func TestChunkFileRoundTrip(t *testing.T) {
	in := []format.Record{
		{Num: 1, Raw: []byte("plain line")},
		{Num: 2, Raw: []byte("a\tb"), Header: "x y"},
		{Num: 3, Raw: []byte("first line\n  second\r\n\tthird \"quoted\""), Header: "x y"},
		{Num: 4, Skip: "CloudWatch Logs control message"},
		{Num: 6, Raw: []byte(`{"json":"compact"}`)},
	}
	w := newChunkWriter()
	for _, r := range in {
		w.add(r)
	}
	w.addError(&format.FrameError{Num: 7, Err: errors.New("invalid JSON")})
	r, err := newChunkReader(bytes.NewReader(w.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range in {
		got, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if want.Raw == nil {
			want.Raw = got.Raw
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	}
	var fe *format.FrameError
	if _, err := r.Next(); !errors.As(err, &fe) || fe.Num != 7 {
		t.Errorf("frame error: %v", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

// A chunk staged by a release with another format is refused by name; one
// from before the version line reads as version 1, and version 1 files
// read as they did (version 2 only added #D).
func TestChunkFileVersion(t *testing.T) {
	for _, tc := range []struct {
		content, err string
	}{
		{"#V\t3\n1\tline\n", `format version "3"`},
		{"1\tline\n", ""},
		{"#V\t1\n1\tline\n", ""},
		{"#V\t2\n1\tline\n", ""},
	} {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(tc.content))
		zw.Close()
		r, err := newChunkReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Next()
		switch {
		case tc.err == "" && (err != nil || string(rec.Raw) != "line" || rec.Num != 1):
			t.Errorf("%q: %+v, %v", tc.content, rec, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %s", tc.content, err, tc.err)
		}
	}
}
