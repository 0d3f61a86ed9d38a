package normalize

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/format"
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
	out, err := n.Normalize([]byte("{}"), fieldsOf(map[string]any{"Duration (us)": "12", "client": "192.0.2.1", "event": map[string]any{"raw": "x"}, "Command": "GET k"}))
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

// A Config snapshot's items are stamped with the snapshot time in the key,
// whatever their own capture time; a key without the time falls back to
// the record's field.
func TestTimestampFromKey(t *testing.T) {
	def := &logtype.Definition{
		Name: "snap", KeyPattern: "_ConfigSnapshot_", Format: "json",
		Index: logtype.IndexSpec{Name: "log-aws-config"},
		Timestamp: logtype.TimestampSpec{
			Keys:    []string{"configurationItemCaptureTime"},
			FromKey: `_(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})T(?P<hour>\d{2})(?P<minute>\d{2})(?P<second>\d{2})Z_`,
		},
	}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	rec := func() map[string]any {
		return map[string]any{"configurationItemCaptureTime": "2023-01-02T03:04:05.000Z"}
	}
	cases := map[string]string{
		"AWSLogs/1/Config/x/123456789012_Config_us-east-1_ConfigSnapshot_20240304T050607Z_abc.json.gz": "2024-03-04T05:06:07Z",
		"AWSLogs/1/Config/x/123456789012_Config_us-east-1_ConfigSnapshot_abc.json.gz":                  "2023-01-02T03:04:05Z",
		"AWSLogs/1/Config/x/123456789012_Config_us-east-1_ConfigSnapshot_20241304T050607Z_abc.json.gz": "2023-01-02T03:04:05Z", // month 13
	}
	for key, want := range cases {
		o, err := New(def, Source{Bucket: "b", Key: key}, now).Normalize([]byte("{}"), fieldsOf(rec()))
		if err != nil {
			t.Fatal(err)
		}
		if got := o.Doc["@timestamp"]; got != want {
			t.Errorf("%s: @timestamp %v, want %s", key, got, want)
		}
	}
	bad := *def
	bad.Timestamp.FromKey = `_(?P<year>\d{4})_`
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "timestamp.from_key") {
		t.Errorf("from_key without month/day accepted: %v", err)
	}
}

// Syslog timestamps have no year: December lines delivered in January
// belong to the previous year; the key's date path decides when present.
func TestSyslogYear(t *testing.T) {
	near := time.Date(2025, 1, 1, 0, 10, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"Dec 31 23:59:58": "2024-12-31T23:59:58Z",
		"Jan  1 00:05:00": "2025-01-01T00:05:00Z",
		"Jan 2 00:05:00":  "2025-01-02T00:05:00Z", // a day of clock skew
		"Mar  3 10:00:00": "2024-03-03T10:00:00Z",
	} {
		got, err := ParseTimeNear(in, []string{"syslog"}, time.UTC, near)
		if err != nil || FormatTime(got) != want {
			t.Errorf("%q: %s %v, want %s", in, FormatTime(got), err, want)
		}
	}
	def := &logtype.Definition{Name: "s", KeyPattern: "x", Format: "json", Index: logtype.IndexSpec{Name: "log-s"},
		Timestamp: logtype.TimestampSpec{Keys: []string{"ts"}, Formats: []string{"syslog"}}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	// Backfilled in 2026, the key says the object is from 2023-12-31.
	n := New(def, Source{Bucket: "b", Key: "AWSLogs/123456789012/Linux/2023/12/31/x.gz"}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	o, err := n.Normalize([]byte("x"), fieldsOf(map[string]any{"ts": "Dec 31 23:00:00"}))
	if err != nil || o.Doc["@timestamp"] != "2023-12-31T23:00:00Z" {
		t.Errorf("backfill: %v %v", o.Doc["@timestamp"], err)
	}
}

// A FireLens record's @message is the container's log line; its id hashes
// the whole line, so the same text from two containers stays two records.
func TestFireLensMessageAndID(t *testing.T) {
	def := &logtype.Definition{Name: "f", KeyPattern: "x", Format: "text", Pattern: `^(?P<verb>[A-Z]+) (?P<path>\S+)$`, ViaFireLens: true, Index: logtype.IndexSpec{Name: "log-f"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	n := New(def, Source{Bucket: "b", Key: "k"}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	var ids []string
	for _, line := range []string{`{"container_id":"a","source":"stdout","log":"GET /x"}`, `{"container_id":"b","source":"stdout","log":"GET /x"}`} {
		f, err := format.Decode(def, format.Record{Num: 1, Raw: []byte(line)})
		if err != nil {
			t.Fatal(err)
		}
		o, err := n.Normalize([]byte(line), f)
		if err != nil {
			t.Fatal(err)
		}
		if o.Doc["@message"] != "GET /x" || o.Doc["container_id"] == nil {
			t.Errorf("doc %v", o.Doc)
		}
		ids = append(ids, o.ID)
	}
	if ids[0] == ids[1] {
		t.Errorf("two containers' records share id %s", ids[0])
	}
}

func TestJSONToText(t *testing.T) {
	def := &logtype.Definition{Name: "j", KeyPattern: "x", Format: "json", Index: logtype.IndexSpec{Name: "log-j"},
		JSONToText: []string{"version", "debug.data", "chain.geo.postal", "missing.path", "a.b", "inner.c.d"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	d := map[string]any{
		"version": json.Number("1"),
		"debug":   map[string]any{"data": map[string]any{"risk": "LOW", "n": json.Number("2")}},
		"chain":   []any{map[string]any{"geo": map[string]any{"postal": json.Number("10001")}}, map[string]any{"geo": map[string]any{"postal": "SW1A"}}},
		"a.b":     true,
		"inner":   map[string]any{"c.d": json.Number("3")}, // a literal dotted key below the top
	}
	o, err := New(def, Source{Bucket: "b", Key: "k"}, time.Now()).Normalize([]byte("{}"), fieldsOf(d))
	if err != nil {
		t.Fatal(err)
	}
	if o.Doc["version"] != "1" || o.Doc["debug"].(map[string]any)["data"] != `{"n":2,"risk":"LOW"}` || o.Doc["a.b"] != "true" || o.Doc["inner"].(map[string]any)["c.d"] != "3" {
		t.Errorf("%v", o.Doc)
	}
	chain := o.Doc["chain"].([]any)
	if chain[0].(map[string]any)["geo"].(map[string]any)["postal"] != "10001" || chain[1].(map[string]any)["geo"].(map[string]any)["postal"] != "SW1A" {
		t.Errorf("through a list: %v", chain)
	}
}

func TestEpochFractionKeepsMilliseconds(t *testing.T) {
	for in, want := range map[string]string{"1709528767.123": "2024-03-04T05:06:07.123Z", "1709528767.5": "2024-03-04T05:06:07.5Z", "1709528767.000001": "2024-03-04T05:06:07.000001Z"} {
		got, err := ParseTime(in, []string{"epoch"}, time.UTC)
		if err != nil || FormatTime(got) != want {
			t.Errorf("%s: %s %v, want %s", in, FormatTime(got), err, want)
		}
	}
}

// The account and region come from the key when the record has none: the
// log bucket's AWSLogs/<account>/ layout, an organization trail in a
// Control Tower log archive (o-<org>/AWSLogs/o-<org>/<account>/), Security
// Lake's and Flow Logs' Hive-style partitions.
func TestAccountAndRegionFromKey(t *testing.T) {
	def := &logtype.Definition{Name: "k", KeyPattern: "x", Format: "json", Index: logtype.IndexSpec{Name: "log-k"}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][2]string{
		"AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/15/x.json.gz":                                                       {"123456789012", "eu-west-1"},
		"o-abc123def4/AWSLogs/o-abc123def4/222233334444/CloudTrail/us-east-2/2024/01/15/x.json.gz":                             {"222233334444", "us-east-2"},
		"aws/CLOUD_TRAIL_MGMT/2.0/region=ap-northeast-1/accountId=333344445555/eventDay=20240305/x.gz.parquet":                 {"333344445555", "ap-northeast-1"},
		"AWSLogs/aws-account-id=444455556666/aws-service=vpcflowlogs/aws-region=sa-east-1/year=2024/month=01/day=15/x.parquet": {"444455556666", "sa-east-1"},
	} {
		o, err := New(def, Source{Bucket: "b", Key: key}, time.Now()).Normalize([]byte("{}"), fieldsOf(map[string]any{}))
		if err != nil {
			t.Fatal(err)
		}
		if acct, region := doc.GetString(o.Doc, "cloud.account.id"), doc.GetString(o.Doc, "cloud.region"); acct != want[0] || region != want[1] {
			t.Errorf("%s: account %q region %q, want %v", key, acct, region, want)
		}
	}
}

// fieldsOf is the decode result of a record that decoded to fields only.
func fieldsOf(m map[string]any) format.Decoded { return format.Decoded{Fields: m} }

// FormatTime and TimeValue remember whole seconds; what they return must
// be what the formatter writes, for seconds sharing a slot, before 1970,
// past 9999, with a fraction below a microsecond, and from concurrent
// callers.
func TestFormatTimeRemembersSeconds(t *testing.T) {
	base := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC).Unix()
	times := []time.Time{time.Unix(-1, 0), time.Unix(-86400*365*3000, 0), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(base, 999)}
	for i := int64(0); i < 3000; i += 7 {
		times = append(times, time.Unix(base+i, 0), time.Unix(base+i+int64(len(seconds)), 0), time.Unix(base+i, 1500))
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for _, tm := range times {
					want := formatTime(tm)
					if got := FormatTime(tm); got != want {
						t.Errorf("%v: %s, want %s", tm, got, want)
						return
					}
					if got, ok := TimeValue(tm).(string); !ok || got != want {
						t.Errorf("%v: value %v, want %s", tm, TimeValue(tm), want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := FormatTime(time.Unix(base, 0)); got != "2024-01-15T10:00:00Z" {
		t.Errorf("got %s", got)
	}
}

// index remembers the last name it made: records that change day (in the
// index's time zone), rotation period or override still get their own.
func TestIndexNameRemembered(t *testing.T) {
	base := time.Date(2024, 12, 31, 14, 30, 0, 0, time.UTC)
	for _, rot := range []string{"daily", "weekly", "monthly", "yearly"} {
		for _, tz := range []string{"", "+09:00"} {
			def := &logtype.Definition{Name: "i", KeyPattern: "x", Format: "json", Index: logtype.IndexSpec{Name: "log-i", Rotation: rot, TZ: tz}}
			n := New(def, Source{}, base)
			loc := n.idxLoc
			var times []time.Time
			for _, h := range []int{0, 1, 10, 10, 40, 24 * 7, 24 * 7, 24 * 40, 0} {
				times = append(times, base.Add(time.Duration(h)*time.Hour))
			}
			// The same day of the year in the next year.
			times = append(times, time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC))
			for i, ts := range times {
				for _, override := range []string{"", "log-other", ""} {
					name := def.Index.Name
					if override != "" {
						name = override
					}
					want := name + RotationSuffix(rot, ts.In(loc))
					if got := n.index(override, ts); got != want {
						t.Errorf("%s %q record %d %v override %q: %s, want %s", rot, tz, i, ts, override, got, want)
					}
				}
			}
		}
	}
}
