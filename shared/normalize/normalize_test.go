package normalize

import (
	"testing"
	"time"

	"github.com/siemloader/siem/shared/logtype"
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

func TestRenameAndFieldPrefix(t *testing.T) {
	def := &logtype.Definition{
		Name: "t", KeyPattern: "t/", Format: "json",
		Index:       logtype.IndexSpec{Name: "log-t"},
		Rename:      map[string]string{"Duration_us": "Duration (us)"},
		FieldPrefix: "redis",
		ECS:         map[string][]string{"event.duration": {"Duration_us"}, "source.ip": {"client"}},
		Static:      map[string]any{"event.category": []any{"database"}},
	}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	n := New(def, Source{Bucket: "b", Key: "t/x"}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	out, err := n.Normalize([]byte("{}"), map[string]any{"Duration (us)": "12", "client": "192.0.2.1", "event": map[string]any{"raw": "x"}, "Command": "GET k"})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Doc
	box, _ := d["redis"].(map[string]any)
	if box["Duration_us"] != "12" || box["client"] != "192.0.2.1" || box["Command"] != "GET k" || box["Duration (us)"] != nil {
		t.Errorf("prefixed raw fields: %v", box)
	}
	if _, ok := d["Command"]; ok {
		t.Error("raw field left at the top level")
	}
	ev := d["event"].(map[string]any)
	if ev["duration"] != int64(12) || ev["raw"] != "x" {
		t.Errorf("event kept in place with ECS values: %v", ev)
	}
	if d["source"].(map[string]any)["ip"] != "192.0.2.1" {
		t.Errorf("source %v", d["source"])
	}
}
