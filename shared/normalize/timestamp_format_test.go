package normalize

import (
	"math/rand"
	"testing"
	"time"
)

// FormatTime is hand-written for speed; it must write what time.Format
// with its layout writes, for every time.
func TestFormatTimeMatchesTimeFormat(t *testing.T) {
	cases := []time.Time{
		time.Unix(0, 0),
		time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 12, 30, 5, 1000, time.UTC),
		time.Date(2024, 2, 29, 12, 30, 5, 999, time.UTC), // below a microsecond: no fraction
		time.Date(2024, 2, 29, 12, 30, 5, 120000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 6, 1, 9, 0, 0, 500000, time.FixedZone("JST", 9*3600)),
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		cases = append(cases, time.Unix(r.Int63n(400*365*86400)-100*365*86400, r.Int63n(1e9)).In(time.FixedZone("x", r.Intn(28*3600)-14*3600)))
	}
	for _, c := range cases {
		if got, want := FormatTime(c), c.UTC().Format(timeLayout); got != want {
			t.Fatalf("FormatTime(%v) = %q, want %q", c, got, want)
		}
	}
}

func BenchmarkFormatTime(b *testing.B) {
	t := time.Date(2024, 2, 29, 12, 30, 5, 123456789, time.UTC)
	for i := 0; i < b.N; i++ {
		_ = FormatTime(t)
	}
}

func BenchmarkTimeFormatLayout(b *testing.B) {
	t := time.Date(2024, 2, 29, 12, 30, 5, 123456789, time.UTC)
	for i := 0; i < b.N; i++ {
		_ = t.UTC().Format(timeLayout)
	}
}
