package pipeline

import (
	"bytes"
	"errors"
	"io"
	"reflect"
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
