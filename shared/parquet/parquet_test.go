package parquet_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/parquet"
	"github.com/siemloader/siem/shared/parquet/parquettest"
)

func open(t testing.TB, b []byte) parquet.File {
	t.Helper()
	f, err := parquet.Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func allRows(t testing.TB, f parquet.File) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := parquet.ReadRows(f, 0, len(f.RowGroups()), func(r parquet.Row) error {
		out = append(out, r.Map())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// normalizeJSON re-decodes v so both sides compare as the loader's values
// (json.Number, []any, map[string]any).
func normalizeJSON(t testing.TB, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	d, err := doc.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The same OCSF findings as Parquet (written by Arrow C++) and JSON: every
// row, with its lists of structs and lists in structs, equals its JSON twin.
func TestArrowFileMatchesItsJSONTwin(t *testing.T) {
	pb, err := os.ReadFile("testdata/ocsfex_malware_infection_detected_sample.parquet")
	if err != nil {
		t.Fatal(err)
	}
	jb, err := os.ReadFile("testdata/ocsfex_malware_infection_detected_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := doc.Decode(jb)
	if err != nil {
		t.Fatal(err)
	}
	got := allRows(t, open(t, pb))
	wl := parquettest.DropNulls(want).([]any)
	if len(got) != len(wl) {
		t.Fatalf("%d rows, want %d", len(got), len(wl))
	}
	for i := range wl {
		g := normalizeJSON(t, got[i])
		if !reflect.DeepEqual(g, wl[i]) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(wl[i])
			t.Errorf("row %d:\n got %s\nwant %s", i+1, gj, wj)
		}
	}
}

// A parquet-mr (Spark) file: nested optional structs, 3-level lists and
// column names with spaces.
func TestSparkFile(t *testing.T) {
	b, err := os.ReadFile("testdata/ocsfex_pwSpray.parquet")
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b)
	if f.NumRows() != 69 {
		t.Fatalf("NumRows %d, want 69", f.NumRows())
	}
	rows := allRows(t, f)
	if len(rows) != 69 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	for path, want := range map[string]string{
		"class_uid":                          "3002",
		"src_endpoint.ip":                    "5.x.x.1",
		"user.name":                          "Bob",
		"metadata.profiles":                  "[host]",
		"time":                               "1674709200000",
		"unmapped.New Logon.Linked Logon ID": "-",
	} {
		var v any = r
		for _, k := range strings.Split(path, ".") {
			if k == "Logon" || k == "Logon ID" {
				continue
			}
			v = v.(map[string]any)[k]
		}
		if path == "unmapped.New Logon.Linked Logon ID" {
			v = r["unmapped"].(map[string]any)["New Logon"].(map[string]any)["Linked Logon ID"]
		}
		if got := fmt.Sprint(v); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}

var fixtureSchema = `{"Tag":"name=schema","Fields":[
 {"Tag":"name=id, type=INT64, repetitiontype=REQUIRED"},
 {"Tag":"name=small, type=INT32, repetitiontype=OPTIONAL"},
 {"Tag":"name=name, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
 {"Tag":"name=ok, type=BOOLEAN, repetitiontype=OPTIONAL"},
 {"Tag":"name=ratio, type=DOUBLE, repetitiontype=OPTIONAL"},
 {"Tag":"name=tags, type=LIST, repetitiontype=OPTIONAL", "Fields":[{"Tag":"name=element, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"}]},
 {"Tag":"name=labels, type=MAP, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=key, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=REQUIRED"},
   {"Tag":"name=value, type=INT32, repetitiontype=OPTIONAL"}]},
 {"Tag":"name=endpoint, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=ip, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
   {"Tag":"name=ports, type=LIST, repetitiontype=OPTIONAL", "Fields":[{"Tag":"name=element, type=INT32, repetitiontype=REQUIRED"}]}]},
 {"Tag":"name=resources, type=LIST, repetitiontype=OPTIONAL", "Fields":[{"Tag":"name=element, repetitiontype=OPTIONAL", "Fields":[
   {"Tag":"name=uid, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"},
   {"Tag":"name=size, type=INT64, repetitiontype=OPTIONAL"}]}]},
 {"Tag":"name=created, type=INT64, convertedtype=TIMESTAMP_MICROS, repetitiontype=OPTIONAL"}
]}`

func fixtureRows(n int) []string {
	var rows []string
	for i := 1; i <= n; i++ {
		r := map[string]any{"id": i}
		if i%3 != 0 {
			r["small"] = -i
			r["name"] = fmt.Sprintf("row-%d é", i)
		}
		r["ok"] = i%2 == 0
		r["ratio"] = float64(i) / 4
		switch i % 4 {
		case 0:
			r["tags"] = []string{}
		case 1:
			r["tags"] = []string{"a", fmt.Sprint(i)}
		case 2:
			r["tags"] = []string{"only"}
		}
		if i%5 != 0 {
			r["labels"] = map[string]int{"k1": i, "k2": 2 * i}
		}
		if i%2 == 1 {
			r["endpoint"] = map[string]any{"ip": fmt.Sprintf("10.0.0.%d", i), "ports": []int{80, 443 + i}}
		}
		r["resources"] = []map[string]any{{"uid": "r1", "size": i}, {"uid": fmt.Sprintf("r%d", i)}}
		r["created"] = int64(1700000000123456) + int64(i)*1000
		b, _ := json.Marshal(r)
		rows = append(rows, string(b))
	}
	return rows
}

// Rows written by an independent writer come back as written, across row
// groups and codecs; nulls are left out and timestamps are epoch ms.
func TestRoundTripWrittenFixture(t *testing.T) {
	rows := fixtureRows(23)
	for _, codec := range []parquettest.Codec{parquettest.Snappy, parquettest.Gzip, parquettest.Zstd, parquettest.Uncompressed} {
		t.Run(string(codec), func(t *testing.T) {
			b, err := parquettest.Write(fixtureSchema, rows, 5, codec)
			if err != nil {
				t.Fatal(err)
			}
			f := open(t, b)
			groups := f.RowGroups()
			if len(groups) != 5 || groups[0].Rows != 5 || groups[4].Rows != 3 {
				t.Fatalf("row groups %+v, want 5,5,5,5,3", groups)
			}
			got := allRows(t, f)
			if len(got) != len(rows) {
				t.Fatalf("%d rows, want %d", len(got), len(rows))
			}
			for i, raw := range rows {
				var w map[string]any
				json.Unmarshal([]byte(raw), &w)
				if us, ok := w["created"].(float64); ok {
					w["created"] = int64(us) / 1000
				}
				want := normalizeJSON(t, w)
				if g := normalizeJSON(t, got[i]); !reflect.DeepEqual(g, want) {
					gj, _ := json.Marshal(g)
					wj, _ := json.Marshal(want)
					t.Errorf("row %d:\n got %s\nwant %s", i+1, gj, wj)
				}
			}
			// One group alone, as a fanned-out chunk reads it.
			var ids []string
			if err := parquet.ReadRows(f, 2, 3, func(r parquet.Row) error {
				ids = append(ids, fmt.Sprint(r.Map()["id"]))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if strings.Join(ids, ",") != "11,12,13,14,15" {
				t.Errorf("row group 2 ids %v", ids)
			}
		})
	}
}

// Every truncation and many corruptions of a valid file give an error (or
// rows), never a panic; truncations are all reported as corrupt.
func TestDamagedFilesFailCleanly(t *testing.T) {
	b, err := parquettest.Write(fixtureSchema, fixtureRows(12), 4, parquettest.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if testing.Verbose() {
			fmt.Println("truncate", n)
		}
		_, err := readAll(b[:n])
		var ce *parquet.CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("truncated at %d: error %v, want a CorruptError", n, err)
		}
	}
	for i := 4; i < len(b)-8; i += 3 {
		c := append([]byte(nil), b...)
		c[i] ^= 0x5a
		if testing.Verbose() {
			fmt.Println("corrupt", i)
		}
		readAll(c) // must not panic
	}
}

func readAll(b []byte) (int, error) {
	f, err := parquet.Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return 0, err
	}
	n := 0
	err = parquet.ReadRows(f, 0, len(f.RowGroups()), func(parquet.Row) error { n++; return nil })
	return n, err
}

// FuzzParquet reads arbitrary bytes as a Parquet file: no panic, no hang.
//
// The seeds are small files (600-1,000 bytes): the fuzzer minimizes every
// input that finds new code with about n²/2 runs, and with the 45 KB
// sample file and 28 KB corpus entries as seeds it spent whole minutes
// minimizing one input (6-10 execs in 45 s). The sample files are read by
// the unit tests, and the big inputs earlier fuzzing found are kept in
// testdata/regress (TestRegressionInputs).
func FuzzParquet(f *testing.F) {
	tiny := parquettest.Schema([]parquettest.Column{{Name: "a", Tag: "type=INT32"}, {Name: "s", Tag: "type=BYTE_ARRAY, convertedtype=UTF8"}})
	lists := `{"Tag":"name=schema","Fields":[
 {"Tag":"name=id, type=INT64, repetitiontype=REQUIRED"},
 {"Tag":"name=tags, type=LIST, repetitiontype=OPTIONAL", "Fields":[{"Tag":"name=element, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"}]}]}`
	for _, seed := range []struct {
		schema string
		rows   []string
		codec  parquettest.Codec
	}{
		{tiny, []string{`{"a":1,"s":"x"}`, `{"a":2,"s":""}`}, parquettest.Snappy},
		{tiny, []string{`{"a":-7,"s":"é"}`}, parquettest.Uncompressed},
		{tiny, []string{`{"a":3,"s":"y"}`, `{"a":0,"s":"z"}`}, parquettest.Gzip},
		{lists, []string{`{"id":1,"tags":["a","b"]}`, `{"id":2,"tags":[]}`}, parquettest.Snappy},
	} {
		b, err := parquettest.Write(seed.schema, seed.rows, 1, seed.codec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic("read takes longer than 10s")
			}
		}()
		readAll(b)
	})
}

// TestRegressionInputs reads the big damaged files earlier fuzzing found
// (go test fuzz v1 files, kept out of the fuzz corpus so they are not
// minimized again): no panic.
func TestRegressionInputs(t *testing.T) {
	files, _ := filepath.Glob("testdata/regress/*")
	if len(files) == 0 {
		t.Fatal("no regression inputs in testdata/regress")
	}
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
		body, ok2 := strings.CutSuffix(strings.TrimSpace(body), ")")
		b, err := strconv.Unquote(body)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: not a go test fuzz v1 []byte file (%v)", p, err)
		}
		readAll([]byte(b)) // must not panic
	}
}

func BenchmarkReadSmall(b *testing.B) {
	data, _ := parquettest.Write(fixtureSchema, fixtureRows(12), 4, parquettest.Snappy)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		readAll(data)
	}
}

// A row group bigger than a decoding batch (8,192 rows) comes back whole
// and in order, lists included.
func TestRowGroupBiggerThanABatch(t *testing.T) {
	rows := fixtureRows(20000)
	b, err := parquettest.Write(fixtureSchema, rows, 20000, parquettest.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b)
	if g := f.RowGroups(); len(g) != 1 || g[0].Rows != 20000 {
		t.Fatalf("row groups %+v", g)
	}
	got := allRows(t, f)
	if len(got) != 20000 {
		t.Fatalf("%d rows", len(got))
	}
	for _, i := range []int{0, 8191, 8192, 8193, 16383, 16384, 19999} {
		var w map[string]any
		json.Unmarshal([]byte(rows[i]), &w)
		w["created"] = int64(w["created"].(float64)) / 1000
		if g, want := normalizeJSON(t, got[i]), normalizeJSON(t, w); !reflect.DeepEqual(g, want) {
			t.Errorf("row %d: got %v want %v", i+1, g, want)
		}
	}
}

// A page claiming more than the page limits (in bytes, or per compressed
// byte) is refused before it is decompressed, with the limit named: the
// read ends in an error the framer dead-letters, not in memory. The
// limits are lowered so an ordinary file goes over them.
func TestPageLimits(t *testing.T) {
	b, err := parquettest.Write(fixtureSchema, fixtureRows(200), 200, parquettest.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(b); err != nil {
		t.Fatalf("under the default limits: %v", err)
	}
	for _, tc := range []struct {
		name              string
		bytes, ratio, flr int64
	}{
		{"bytes", 100, 1000, 16 << 20},
		{"ratio", 256 << 20, 1, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oldB, oldR, oldF := parquet.MaxPageBytes, parquet.MaxPageRatio, parquet.PageRatioFloorBytes
			parquet.MaxPageBytes, parquet.MaxPageRatio, parquet.PageRatioFloorBytes = tc.bytes, tc.ratio, tc.flr
			defer func() { parquet.MaxPageBytes, parquet.MaxPageRatio, parquet.PageRatioFloorBytes = oldB, oldR, oldF }()
			n, err := readAll(b)
			if err == nil || !strings.Contains(err.Error(), "decompression limit: page at chunk byte") {
				t.Fatalf("%d rows, error %v", n, err)
			}
		})
	}
}
