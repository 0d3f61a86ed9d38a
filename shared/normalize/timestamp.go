package normalize

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// isoLayouts are the ISO 8601 shapes AWS services write, tried in order.
// Go's parser accepts any fraction length after a dot when the layout has
// ".999999999", so nanosecond inputs parse and are truncated afterwards.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02\t15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// isoBySep are isoLayouts split by the byte after the date (index 10:
// 'T', ' ', '\t', other or none), each in isoLayouts' order. Every layout
// starts with a fixed-width date, so a layout whose separator differs
// cannot accept s, and skipping it spares a failed parse (and its error)
// per record for the space-separated types.
var isoBySep = func() (b [5][]string) {
	for _, l := range isoLayouts {
		i := isoSep(l)
		b[i] = append(b[i], l)
	}
	return b
}()

// isoSep is s's bucket in isoBySep.
func isoSep(s string) int {
	if len(s) <= 10 {
		return 0
	}
	switch s[10] {
	case 'T':
		return 1
	case ' ':
		return 2
	case '\t':
		return 3
	}
	return 4
}

var naive = map[string]bool{
	"2006-01-02T15:04:05.999999999":  true,
	"2006-01-02 15:04:05.999999999":  true,
	"2006-01-02\t15:04:05.999999999": true,
	"2006-01-02T15:04":               true,
	"2006-01-02":                     true,
}

// ParseTime parses v with the first format that accepts it. Formats are
// "iso8601", "epoch" (seconds, milliseconds or microseconds by magnitude)
// or a Go reference layout. Naive times are read in loc. The result is
// truncated to microseconds, as OpenSearch date fields keep milliseconds
// and our @timestamp keeps microseconds.
func ParseTime(v any, formats []string, loc *time.Location) (time.Time, error) {
	return ParseTimeNear(v, formats, loc, time.Time{})
}

// SyslogLayout is the RFC 3164 timestamp ("Jan  2 15:04:05", runs of
// spaces collapsed), which has no year; the format name "syslog" stands
// for it.
const SyslogLayout = "Jan 2 15:04:05"

// ParseTimeNear is ParseTime for logs whose timestamps may lack the year
// (syslog): the year is the one that puts the time closest before near
// (plus a day of clock skew), so December lines read in January land in
// the previous year. A zero near means now.
func ParseTimeNear(v any, formats []string, loc *time.Location, near time.Time) (time.Time, error) {
	if len(formats) == 0 {
		formats = []string{"iso8601"}
	}
	var s string
	switch t := v.(type) {
	case string:
		s = strings.TrimSpace(t)
	case json.Number:
		s = t.String()
	case float64:
		s = strconv.FormatFloat(t, 'f', -1, 64)
	case int64:
		s = strconv.FormatInt(t, 10)
	default:
		return time.Time{}, fmt.Errorf("timestamp is a %T, not a string or number", v)
	}
	for _, f := range formats {
		if f == "syslog" {
			f, s = SyslogLayout, strings.Join(strings.Fields(s), " ")
		}
		if t, ok := parseOne(s, f, loc); ok {
			if t.Year() == 0 {
				t = withYear(t, near)
			}
			return t.Truncate(time.Microsecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q matches none of the formats %v", s, formats)
}

// parseLayouts parses s with the first of layouts that accepts it, naive
// ones in loc.
func parseLayouts(s string, layouts []string, loc *time.Location) (time.Time, bool) {
	for _, l := range layouts {
		var t time.Time
		var err error
		if naive[l] {
			t, err = time.ParseInLocation(l, s, loc)
		} else {
			t, err = time.Parse(l, s)
		}
		if err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseOne(s, format string, loc *time.Location) (time.Time, bool) {
	switch format {
	case "iso8601":
		return parseLayouts(s, isoBySep[isoSep(s)], loc)
	case "epoch":
		// "1709528767.123": whole and fractional seconds apart, so the
		// milliseconds survive (a float64 would give .122999).
		if whole, frac, ok := strings.Cut(s, "."); ok && len(whole) <= 10 && len(frac) > 0 && len(frac) <= 9 {
			sec, err1 := strconv.ParseInt(whole, 10, 64)
			ns, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
			if err1 == nil && err2 == nil && sec >= 0 {
				return time.Unix(sec, ns).In(loc), true
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return time.Time{}, false
		}
		switch {
		case f > 1e15: // microseconds
			return time.UnixMicro(int64(f)).In(loc), true
		case f > 1e12: // milliseconds
			return time.UnixMilli(int64(f)).Add(time.Duration((f - math.Trunc(f)) * float64(time.Millisecond))).In(loc), true
		default:
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(frac*1e9)).In(loc), true
		}
	default:
		t, err := time.ParseInLocation(format, s, loc)
		return t, err == nil
	}
}

// FormatTime writes t the way @timestamp is stored: RFC 3339 in UTC with
// the fraction only when non-zero (microsecond precision).
func FormatTime(t time.Time) string {
	if t.Nanosecond() >= 1000 {
		return formatTime(t)
	}
	return second(t).text
}

// TimeValue is FormatTime(t) as a document value. A whole second's comes
// boxed once, so documents share it (a boxed string is immutable) rather
// than each boxing its own copy.
func TimeValue(t time.Time) any {
	if t.Nanosecond() >= 1000 {
		return formatTime(t)
	}
	return second(t).boxed
}

// second is the text of t's whole second (to the microsecond): most likely
// one written before, since a log's records share their seconds (VPC
// flows' start and end, CloudTrail's eventTime).
func second(t time.Time) *secondText {
	sec := t.Unix()
	slot := &seconds[uint64(sec)%uint64(len(seconds))]
	if e := slot.Load(); e != nil && e.sec == sec {
		return e
	}
	text := formatTime(t)
	e := &secondText{sec: sec, text: text, boxed: text}
	slot.Store(e)
	return e
}

// seconds holds the text of recent whole seconds, one per slot (a later
// second in the same slot replaces it); safe for concurrent use.
var seconds [1024]atomic.Pointer[secondText]

type secondText struct {
	sec   int64
	text  string
	boxed any // text
}

func formatTime(t time.Time) string {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Format(timeLayout)
	}
	// Written by hand: time.Format costs a quarter of a microsecond, and
	// every document gets two to four of these.
	h, mi, s := t.Clock()
	var b [27]byte
	two(b[2:], y%100)
	two(b[0:], y/100)
	b[4] = '-'
	two(b[5:], int(mo))
	b[7] = '-'
	two(b[8:], d)
	b[10] = 'T'
	two(b[11:], h)
	b[13] = ':'
	two(b[14:], mi)
	b[16] = ':'
	two(b[17:], s)
	n := 19
	if us := t.Nanosecond() / 1000; us > 0 {
		b[19] = '.'
		two(b[24:], us%100)
		two(b[22:], us/100%100)
		two(b[20:], us/10000)
		n = 26
		for b[n-1] == '0' {
			n--
		}
	}
	b[n] = 'Z'
	return string(b[:n+1])
}

// two writes v (0-99) as two digits.
func two(b []byte, v int) {
	b[0] = byte('0' + v/10)
	b[1] = byte('0' + v%10)
}

// timeLayout is what FormatTime writes: RFC 3339 in UTC with up to six
// fractional digits, trailing zeros dropped.
const timeLayout = "2006-01-02T15:04:05.999999Z07:00"

// withYear gives a year-less time the year that puts it at or before near
// (with a day of tolerance for clocks and time zones).
func withYear(t, near time.Time) time.Time {
	if near.IsZero() {
		near = time.Now()
	}
	near = near.In(t.Location())
	y := near.Year()
	c := time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	if c.After(near.Add(24 * time.Hour)) {
		c = time.Date(y-1, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	}
	return c
}
