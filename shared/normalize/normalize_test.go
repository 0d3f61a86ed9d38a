package normalize

import (
	"testing"
	"time"
)

func TestRotationSuffix(t *testing.T) {
	ts := time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC)
	for rot, want := range map[string]string{"daily": "-2024-12-31", "monthly": "-2024-12", "": "-2024-12", "yearly": "-2024", "weekly": "-2024-w53"} {
		if got := RotationSuffix(rot, ts); got != want {
			t.Errorf("%s: %s, want %s", rot, got, want)
		}
	}
	// %W: 2024-01-01 is a Monday, so week 01; 2023-01-01 (Sunday) is week 00.
	if got := RotationSuffix("weekly", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); got != "-2024-w01" {
		t.Errorf("got %s", got)
	}
	if got := RotationSuffix("weekly", time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)); got != "-2023-w00" {
		t.Errorf("got %s", got)
	}
}

func TestParseTime(t *testing.T) {
	utc := time.UTC
	cases := []struct {
		in      any
		formats []string
		want    string
	}{
		{"2024-01-15T10:20:30.123456789Z", nil, "2024-01-15T10:20:30.123456Z"},
		{"2024-01-15T10:20:30+0900", nil, "2024-01-15T01:20:30Z"},
		{"2024-01-15 10:20:30", nil, "2024-01-15T10:20:30Z"},
		{"1705276800", []string{"epoch"}, "2024-01-15T00:00:00Z"},
		{"1705276800123", []string{"epoch"}, "2024-01-15T00:00:00.123Z"},
		{"1705276800123456", []string{"epoch"}, "2024-01-15T00:00:00.123456Z"},
	}
	for _, c := range cases {
		got, err := ParseTime(c.in, c.formats, utc)
		if err != nil || FormatTime(got) != c.want {
			t.Errorf("%v: %v %v, want %s", c.in, FormatTime(got), err, c.want)
		}
	}
	if _, err := ParseTime("yesterday", nil, utc); err == nil {
		t.Error("accepted yesterday")
	}
}
