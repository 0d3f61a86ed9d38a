package doc

import (
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"
)

// appendFloat and validNumber replace encoding/json calls; they must
// agree with it on every value, or documents change.
func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1.5e-7, 1e20, 1e21, 1.234e21, -1e21,
		123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, 3.14159, 2.5e-10, 1e100}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		vals = append(vals, math.Float64frombits(r.Uint64()), r.NormFloat64()*math.Pow(10, float64(r.Intn(60)-30)))
	}
	for _, f := range vals {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f); string(got) != string(want) {
			t.Fatalf("appendFloat(%v) = %s, encoding/json writes %s", f, got, want)
		}
	}
}

func TestValidNumberMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"0", "-0", "01", "1.", ".5", "1.5", "-", "1e", "1e+", "1e+5", "1E-05", "12345678901234567890",
		"0.0e0", "--1", "+1", "1.2.3", "0x10", "Infinity", "NaN", "1e5.5", "-0.000", "9.", "0e"} {
		if got, want := validNumber(s), json.Valid([]byte(s)); got != want {
			t.Errorf("validNumber(%q) = %v, json.Valid says %v", s, got, want)
		}
	}
}

// FuzzValidNumber: validNumber accepts exactly the strings encoding/json
// reads as a bare number (no surrounding whitespace: decoded numbers have
// none, and a spaced one is refused rather than passed through).
func FuzzValidNumber(f *testing.F) {
	f.Add("1.5e-3")
	f.Add(" 1")
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		want := d.Decode(&v) == nil && !d.More() && strings.TrimSpace(s) == s && json.Valid([]byte(s))
		if _, ok := v.(json.Number); !ok {
			want = false
		}
		if got := validNumber(s); got != want {
			t.Fatalf("validNumber(%q) = %v, want %v", s, got, want)
		}
	})
}
