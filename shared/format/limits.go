package format

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
)

// Limits bound what one object may cost to read, whatever it holds: a
// gzip bomb or a record without an end must not take a Lambda's memory
// or the local runner's. Going over a limit is never an error of the
// run: a record over MaxRecordBytes is one dead letter (its first bytes,
// its length, its number) and the records after it load; content past
// MaxObjectBytes or MaxRatio is not read, and the object ends with one
// dead letter saying which limit and where reading stopped.
type Limits struct {
	// MaxRecordBytes is the longest record (a line, a JSON value) framed;
	// a longer one is dead-lettered with its first TruncatedRawBytes
	// bytes and read past without being held in memory.
	MaxRecordBytes int64
	// MaxObjectBytes is the most decompressed content read from one
	// object or staged chunk.
	MaxObjectBytes int64
	// MaxRatio is the most decompressed bytes read per compressed byte,
	// enforced once RatioFloorBytes have come out (small objects of
	// repetitive text compress far better than big ones).
	MaxRatio        float64
	RatioFloorBytes int64
}

// Default limits: far above any AWS log delivery (CloudTrail and ELB
// objects are MBs, records KBs; real logs compress 5-30:1), far below
// what fills memory or a 15-minute invocation.
var DefaultLimits = Limits{
	MaxRecordBytes:  64 << 20,
	MaxObjectBytes:  16 << 30,
	MaxRatio:        200,
	RatioFloorBytes: 16 << 20,
}

// Environment variables that override the defaults (the functions and
// siem load read them; siem load's flags override them in turn).
const (
	EnvMaxRecordBytes = "SIEM_MAX_RECORD_BYTES"
	EnvMaxObjectBytes = "SIEM_MAX_OBJECT_BYTES"
	EnvMaxRatio       = "SIEM_MAX_DECOMPRESSION_RATIO"
)

// TruncatedRawBytes is how much of a record over MaxRecordBytes its dead
// letter keeps.
const TruncatedRawBytes = 4 << 10

var limits atomic.Pointer[Limits]

func init() {
	l, err := LimitsFromEnv(DefaultLimits)
	if err != nil {
		// A bad setting must not go unnoticed, nor stop every load: the
		// defaults apply and the error is printed once.
		fmt.Fprintln(os.Stderr, "format:", err, "(the default limits apply)")
		l = DefaultLimits
	}
	SetLimits(l)
}

// LimitsFromEnv returns base with the limits the environment sets.
func LimitsFromEnv(base Limits) (Limits, error) {
	l := base
	for _, v := range []struct {
		name string
		dst  *int64
	}{{EnvMaxRecordBytes, &l.MaxRecordBytes}, {EnvMaxObjectBytes, &l.MaxObjectBytes}} {
		if s := os.Getenv(v.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return base, fmt.Errorf("%s=%q: want a number of bytes > 0", v.name, s)
			}
			*v.dst = n
		}
	}
	if s := os.Getenv(EnvMaxRatio); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r < 1 {
			return base, fmt.Errorf("%s=%q: want a ratio >= 1", EnvMaxRatio, s)
		}
		l.MaxRatio = r
	}
	return l, nil
}

// SetLimits sets the limits every framer and decompressor created from
// now on applies. Zero fields keep their default.
func SetLimits(l Limits) {
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultLimits.MaxRecordBytes
	}
	if l.MaxObjectBytes <= 0 {
		l.MaxObjectBytes = DefaultLimits.MaxObjectBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	if l.RatioFloorBytes <= 0 {
		l.RatioFloorBytes = DefaultLimits.RatioFloorBytes
	}
	limits.Store(&l)
}

// CurrentLimits returns the limits in force.
func CurrentLimits() Limits { return *limits.Load() }

// LimitError is the read error of content over a decompression limit.
type LimitError struct {
	Limit string // "MaxObjectBytes" or "MaxRatio"
	Out   int64  // decompressed bytes read when it was reached
	In    int64  // compressed bytes read by then
	Max   float64
}

func (e *LimitError) Error() string {
	if e.Limit == "MaxRatio" {
		return fmt.Sprintf("decompression limit: %d bytes out of %d compressed is over %.0f:1 (%s, --max-ratio); a gzip bomb or a damaged object, not read further",
			e.Out, e.In, e.Max, EnvMaxRatio)
	}
	return fmt.Sprintf("decompression limit: content over %d bytes (%s, --max-object-bytes), not read further", int64(e.Max), EnvMaxObjectBytes)
}

// IsLimit reports whether err is (or wraps) a limit being reached.
func IsLimit(err error) bool {
	var le *LimitError
	var re *RecordTooLong
	return errors.As(err, &le) || errors.As(err, &re)
}

// RecordTooLong is the framing error of a record over MaxRecordBytes
// that cannot be read past (inside a JSON value).
type RecordTooLong struct {
	Max int64
}

func (e *RecordTooLong) Error() string {
	return fmt.Sprintf("record too long: over the %d-byte limit (%s, --max-record-bytes)", e.Max, EnvMaxRecordBytes)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// compressedIn is the compressed side of a gzip stream: what came up
// from below, less what buf holds that the decompressor has not taken.
// The decompressor reads a *bufio.Reader byte by byte through its own
// inlined loop (a reader of another type costs two calls per compressed
// byte), so the bytes are counted beneath the buffer.
type compressedIn struct {
	below *countingReader
	buf   *bufio.Reader
}

func newCompressedIn(r io.Reader) *compressedIn {
	in := &compressedIn{below: &countingReader{r: r}}
	in.buf = bufio.NewReaderSize(in.below, 64<<10)
	return in
}

func (c *compressedIn) n() int64 { return c.below.n - int64(c.buf.Buffered()) }

// limitedReader stops decompressed content at the limits: it returns
// what is under them, then a sticky *LimitError.
type limitedReader struct {
	r   io.Reader
	in  *compressedIn
	out int64
	l   Limits
	err error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if room := l.l.MaxObjectBytes - l.out; int64(len(p)) > room {
		p = p[:max(room, 0)]
	}
	if len(p) == 0 {
		l.err = &LimitError{Limit: "MaxObjectBytes", Out: l.out, In: l.in.n(), Max: float64(l.l.MaxObjectBytes)}
		return 0, l.err
	}
	n, err := l.r.Read(p)
	l.out += int64(n)
	if l.out >= l.l.RatioFloorBytes && float64(l.out) > l.l.MaxRatio*float64(max(l.in.n(), 1)) {
		l.err = &LimitError{Limit: "MaxRatio", Out: l.out, In: l.in.n(), Max: l.l.MaxRatio}
		if err == nil || err == io.EOF {
			err = l.err
		}
	}
	return n, err
}

// readLine reads one line (with its newline) from r, holding at most max
// bytes of it: a longer line is read to its end and counted, and only its
// first TruncatedRawBytes bytes are returned. total is the line's length.
// The bytes may be r's buffer (valid until the next read).
func readLine(r *bufio.Reader, max int64) (line []byte, total int64, err error) {
	b, err := r.ReadSlice('\n')
	total = int64(len(b))
	if err != bufio.ErrBufferFull {
		if total > max && len(b) > TruncatedRawBytes {
			b = b[:TruncatedRawBytes] // a limit under the buffer's size
		}
		return b, total, err
	}
	long := append([]byte(nil), b...)
	for err == bufio.ErrBufferFull {
		b, err = r.ReadSlice('\n')
		total += int64(len(b))
		switch {
		case total <= max:
			if len(long)+len(b) > cap(long) {
				// Double, but never past the limit: a line that
				// turns out too long costs about twice the limit in
				// allocations, whatever its length.
				grown := make([]byte, len(long), min(2*cap(long)+len(b), int(max)+len(b)))
				copy(grown, long)
				long = grown
			}
			long = append(long, b...)
		case len(long) > TruncatedRawBytes:
			// Over the limit: keep the start, let the rest go.
			long = append([]byte(nil), long[:TruncatedRawBytes]...)
		}
	}
	if total > max && len(long) > TruncatedRawBytes {
		long = append([]byte(nil), long[:TruncatedRawBytes]...)
	}
	return long, total, err
}

// tooLongReason is the dead-letter reason of a record over the limit.
func tooLongReason(total, max int64, kept int) string {
	return fmt.Sprintf("record too long: %d bytes, over the %d-byte limit (%s, --max-record-bytes); raw holds its first %d bytes",
		total, max, EnvMaxRecordBytes, kept)
}
