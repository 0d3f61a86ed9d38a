package normalize

import (
	"testing"
	"time"
)

// parseISOAll is iso8601 parsing as it was before isoBySep: every
// layout in order. The separator buckets must give what it gives.
func parseISOAll(s string, loc *time.Location) (time.Time, bool) {
	return parseLayouts(s, isoLayouts, loc)
}

// isoSamples are every layout written out from a few instants and zones,
// and near misses: other separators, short and padded dates.
func isoSamples() []string {
	tokyo := time.FixedZone("JST", 9*3600)
	var out []string
	for _, at := range []time.Time{
		time.Date(2024, 1, 15, 10, 20, 30, 123456789, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 0, 0, tokyo),
		time.Date(2024, 2, 29, 0, 0, 0, 5000, time.FixedZone("", -3*3600-1800)),
	} {
		for _, l := range isoLayouts {
			out = append(out, at.Format(l))
		}
	}
	return append(out, "", "2024-01-15", "2024-01-1", "2024-01-15_10:20:30", "2024-01-15x", "2024-1-15 10:20:30",
		"2024-01-15  10:20:30", "2024-01-15T", "2024-01-15 ", "yesterday", "2024-01-15\t10:20:30.5Z", "20240115T102030Z")
}

func TestISOBySeparatorMatchesEveryLayout(t *testing.T) {
	for _, s := range isoSamples() {
		want, wantOK := parseISOAll(s, time.UTC)
		got, ok := parseOne(s, "iso8601", time.UTC)
		if ok != wantOK || !got.Equal(want) || got.Location().String() != want.Location().String() {
			t.Errorf("%q: got %v %v, every layout gives %v %v", s, got, ok, want, wantOK)
		}
	}
}

func FuzzParseISO(f *testing.F) {
	for _, s := range isoSamples() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantOK := parseISOAll(s, time.UTC)
		got, ok := parseOne(s, "iso8601", time.UTC)
		if ok != wantOK || !got.Equal(want) {
			t.Fatalf("%q: got %v %v, every layout gives %v %v", s, got, ok, want, wantOK)
		}
	})
}

// BenchmarkParseISO compares the bucketed parse with every layout in
// turn, for the shapes the log types write.
func BenchmarkParseISO(b *testing.B) {
	for _, s := range []string{"2024-01-15T10:20:30.123456Z", "2024-01-15 10:20:30", "2024-01-15\t10:20:30"} {
		b.Run("every-layout/"+s[10:11], func(b *testing.B) {
			for b.Loop() {
				parseISOAll(s, time.UTC)
			}
		})
		b.Run("by-separator/"+s[10:11], func(b *testing.B) {
			for b.Loop() {
				parseOne(s, "iso8601", time.UTC)
			}
		})
	}
}
