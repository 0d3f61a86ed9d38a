package format

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
)

// withLimits sets limits for one test and restores the previous ones.
func withLimits(t *testing.T, l Limits) {
	t.Helper()
	old := CurrentLimits()
	SetLimits(l)
	t.Cleanup(func() { SetLimits(old) })
}

// repeat is an endless reader of one byte, so tests stream big inputs
// without holding them.
type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func frameUpTo(t *testing.T, fr Framer) ([]Record, error) {
	t.Helper()
	var recs []Record
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		rec.Raw = append([]byte(nil), rec.Raw...)
		recs = append(recs, rec)
	}
}

// A line over MaxRecordBytes is one record to dead-letter, with its first
// bytes, its length and its number; the lines after it are read.
func TestLineOverLimit(t *testing.T) {
	withLimits(t, Limits{MaxRecordBytes: 64 << 10})
	const long = 1 << 20
	in := io.MultiReader(strings.NewReader("first line\n"), io.LimitReader(repeat('x'), long), strings.NewReader("\nthird line\nfourth\n"))
	def := &logtype.Definition{Name: "t", Format: "text"}
	recs, err := frameUpTo(t, NewFramer(def, in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	r := recs[1]
	if r.Num != 2 || len(r.Raw) != TruncatedRawBytes || !strings.Contains(r.Error, "1048577 bytes, over the 65536-byte limit") || !strings.Contains(r.Error, EnvMaxRecordBytes) {
		t.Errorf("long line: num %d, %d raw bytes, error %q", r.Num, len(r.Raw), r.Error)
	}
	if string(recs[2].Raw) != "third line" || recs[2].Num != 3 || recs[2].Error != "" || string(recs[3].Raw) != "fourth" {
		t.Errorf("lines after it: %+v", recs[2:])
	}
}

// The same at the real limit (64 MiB): the line is read in bounded memory
// (the limit, not the line) and the next line loads.
func TestLineOverDefaultLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 320 MiB")
	}
	withLimits(t, DefaultLimits)
	const long = 320 << 20 // five times the limit
	in := io.MultiReader(io.LimitReader(repeat('a'), long), strings.NewReader("\nnext\n"))
	def := &logtype.Definition{Name: "t", Format: "text"}
	fr := NewFramer(def, in)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rec, err := fr.Next()
	if err != nil || rec.Num != 1 || rec.Error == "" || len(rec.Raw) != TruncatedRawBytes {

		t.Fatalf("long line: %d, %d bytes, %q, %v", rec.Num, len(rec.Raw), rec.Error, err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// What was allocated for the line: up to the limit while it might
	// still fit (doubling: about three times the limit in all), never the line.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4*uint64(DefaultLimits.MaxRecordBytes) {
		t.Errorf("allocated %d MiB for a %d MiB line", grew>>20, long>>20)
	} else {
		t.Logf("allocated %d MiB for a %d MiB line", grew>>20, long>>20)
	}
	rec, err = fr.Next()
	if err != nil || string(rec.Raw) != "next" || rec.Num != 2 {
		t.Errorf("next line: %+v %v", rec, err)
	}
}

// A multiline record over the limit is dead-lettered whole (its start),
// and the next record starts where it should.
func TestMultilineOverLimit(t *testing.T) {
	withLimits(t, Limits{MaxRecordBytes: 1 << 10})
	var b strings.Builder
	b.WriteString("2024-01-01 first\n  detail\n2024-01-02 second\n")
	// 100 lines of 57 bytes: a record of 5,700 bytes and more, over 1 KiB.
	for i := 0; i < 100; i++ {
		b.WriteString("  a continuation line of the second record, long enough\n")
	}
	b.WriteString("2024-01-03 third\n")
	def := &logtype.Definition{Name: "m", KeyPattern: "x", Format: "multiline", MultilineFirstLine: `^\d{4}-`,
		Pattern: `(?s)^(?P<message>.*)$`, Index: logtype.IndexSpec{Name: "log-m"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	recs, err := frameUpTo(t, NewFramer(def, strings.NewReader(b.String())))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Error != "" || recs[1].Num != 3 || !strings.Contains(recs[1].Error, "record too long") || recs[2].Num != 104 || recs[2].Error != "" {
		t.Fatalf("records: %+v", recs)
	}
}

// A JSON value over the limit ends framing with a FrameError naming the
// limit: the window never grows past it.
func TestJSONOverLimit(t *testing.T) {
	withLimits(t, Limits{MaxRecordBytes: 64 << 10})
	in := io.MultiReader(strings.NewReader(`{"Records":[{"a":1},{"b":"`), io.LimitReader(repeat('x'), 1<<20), strings.NewReader(`"}]}`))
	recs, err := frameUpTo(t, newJSONFramer(in, "Records"))
	var fe *FrameError
	var tl *RecordTooLong
	if len(recs) != 1 || !errors.As(err, &fe) || !errors.As(err, &tl) || fe.Num != 2 {
		t.Fatalf("records %d, error %v", len(recs), err)
	}
}

func gzipped(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if _, err := io.Copy(zw, r); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return b.Bytes()
}

// Gzip content past MaxObjectBytes or MaxRatio is not read: the reader
// returns what is under the limit, then a LimitError, and keeps failing.
func TestDecompressLimits(t *testing.T) {
	lines := strings.Repeat("2024-01-01 a line of text that compresses\n", 1000)
	for _, tc := range []struct {
		name   string
		limits Limits
		in     []byte
		limit  string
	}{
		{"object bytes", Limits{MaxObjectBytes: 10000}, gzipped(t, strings.NewReader(lines)), "MaxObjectBytes"},
		{"ratio", Limits{MaxRatio: 10, RatioFloorBytes: 1000}, gzipped(t, io.LimitReader(repeat(0), 1<<20)), "MaxRatio"},
		{"under both", Limits{}, gzipped(t, strings.NewReader(lines)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withLimits(t, tc.limits)
			r, err := Decompress(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			var le *LimitError
			if tc.limit == "" {
				if err != nil || n != int64(len(lines)) {
					t.Fatalf("%d bytes, %v", n, err)
				}
				return
			}
			if !errors.As(err, &le) || le.Limit != tc.limit || !strings.HasPrefix(err.Error(), "decompression limit: ") {
				t.Fatalf("%d bytes, error %v", n, err)
			}
			if tc.limit == "MaxObjectBytes" && n != 10000 {
				t.Errorf("read %d bytes, want the 10000 under the limit", n)
			}
			if _, err := r.Read(make([]byte, 10)); !errors.As(err, &le) {
				t.Errorf("read after the limit: %v", err)
			}
		})
	}
}

// A text line cut by a decompression limit is not a record of its own:
// the object ends with one FrameError.
func TestLimitCutsNoPartialLine(t *testing.T) {
	withLimits(t, Limits{MaxRatio: 10, RatioFloorBytes: 1000})
	in := gzipped(t, io.MultiReader(strings.NewReader("ok line\n"), io.LimitReader(repeat(0), 1<<20)))
	def := &logtype.Definition{Name: "t", Format: "text"}
	fr, err := OpenObject(def, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := frameUpTo(t, fr)
	var fe *FrameError
	if len(recs) != 1 || !errors.As(err, &fe) || !IsLimit(err) || fe.Num != 2 {
		t.Fatalf("records %+v, error %v", recs, err)
	}
}

func TestLimitsFromEnv(t *testing.T) {
	t.Setenv(EnvMaxRecordBytes, "1000")
	t.Setenv(EnvMaxRatio, "50")
	l, err := LimitsFromEnv(DefaultLimits)
	if err != nil || l.MaxRecordBytes != 1000 || l.MaxRatio != 50 || l.MaxObjectBytes != DefaultLimits.MaxObjectBytes {
		t.Fatalf("%+v %v", l, err)
	}
	t.Setenv(EnvMaxObjectBytes, "lots")
	if _, err := LimitsFromEnv(DefaultLimits); err == nil || !strings.Contains(err.Error(), EnvMaxObjectBytes) {
		t.Errorf("bad value: %v", err)
	}
}

// The compressed bytes the ratio limit divides by are those the
// decompressor took: all of a stream read to its end, through Gunzip
// (handed a bufio.Reader or not) or Decompress.
func TestGunzipCountsCompressedBytes(t *testing.T) {
	withLimits(t, Limits{})
	in := gzipped(t, strings.NewReader(strings.Repeat("2024-01-01 a line of text that compresses\n", 5000)))
	for _, open := range []func(io.Reader) (io.Reader, error){
		Gunzip,
		func(r io.Reader) (io.Reader, error) { return Gunzip(bufio.NewReaderSize(r, 64<<10)) },
		Decompress,
	} {
		r, err := open(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		lr := r.(*limitedReader)
		if _, err := lr.Read(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		if n := lr.in.n(); n <= 0 || n > int64(len(in)) {
			t.Errorf("after 100 bytes out: %d compressed bytes counted of %d", n, len(in))
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Fatal(err)
		}
		if n := lr.in.n(); n != int64(len(in)) {
			t.Errorf("at the end: %d compressed bytes counted, want %d", n, len(in))
		}
	}
}
