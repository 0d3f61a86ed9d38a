package vpcflow_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/parquet/parquettest"
)

// flowSet reads a text flow log's first header and the flow lines under
// it, keeping the lines a Parquet file can hold (numbers where Flow Logs
// writes integers), each with its fields separated by one space.
func flowSet(text []byte) (names []string, lines [][]string) {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Scan()
	for _, h := range strings.Fields(sc.Text()) {
		names = append(names, strings.ReplaceAll(h, "-", "_"))
	}
next:
	for sc.Scan() {
		vals := strings.Fields(sc.Text())
		if len(vals) == 0 {
			continue
		}
		if vals[0] == "version" {
			break // another header: another flow set
		}
		if len(vals) != len(names) {
			continue
		}
		for i, v := range vals {
			if _, isInt := parquettest.FlowLogTypes[names[i]]; isInt && v != "-" {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					continue next
				}
			}
		}
		lines = append(lines, vals)
	}
	return names, lines
}

func flowText(names []string, lines [][]string) []byte {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ReplaceAll(n, "_", "-"))
	}
	b.WriteByte('\n')
	for _, l := range lines {
		b.WriteString(strings.Join(l, " "))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// flowParquet writes flows as the Parquet file Flow Logs would deliver for
// them: the header's fields as columns in order, typed, "-" as null.
func flowParquet(t testing.TB, names []string, lines [][]string, rowsPerGroup int, codec parquettest.Codec) []byte {
	t.Helper()
	out, err := parquettest.FromText(string(flowText(names, lines)), parquettest.FlowLogTypes, rowsPerGroup, codec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var writeFixture = flag.Bool("write-parquet-fixture", false, "rewrite testdata/own_v5_hive.log.parquet from the v5 text sample")

// One flow set in text and in Parquet gives identical documents, @message
// and @id included: a Parquet row is loaded as the line its text delivery
// would be (network.transport from an integer protocol too, where the
// reference mapped only text).
func TestParquetGivesTheTextDocuments(t *testing.T) {
	def := logtype.Builtin().Get("vpcflowlogs")
	files, _ := filepath.Glob("testdata/*_with_header.log")
	files = append(files, "testdata/own_edge_cases.log")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			names, lines := flowSet(raw)
			if len(lines) == 0 {
				t.Fatal("no flows")
			}
			text := flowText(names, lines)
			key := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/x"
			want, err := golden.Process(def, key+".log.gz", bytes.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			for _, codec := range []parquettest.Codec{parquettest.Snappy, parquettest.Gzip} {
				pq := flowParquet(t, names, lines, 2, codec)
				got, err := golden.Process(def, key+".log.gz", bytes.NewReader(pq))
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Documents) != len(want.Documents) || len(got.DeadLetters) != len(want.DeadLetters) || got.RecordsIn != want.RecordsIn {
					t.Fatalf("%s: %d records, %d documents, %d dead letters; text gave %d, %d, %d", codec,
						got.RecordsIn, len(got.Documents), len(got.DeadLetters), want.RecordsIn, len(want.Documents), len(want.DeadLetters))
				}
				for i := range want.Documents {
					w, g := want.Documents[i], got.Documents[i]
					// Record numbers count lines in text (header included)
					// and rows in Parquet.
					w.Record, g.Record = 0, 0
					if !reflect.DeepEqual(w, g) {
						wj, _ := json.Marshal(w)
						gj, _ := json.Marshal(g)
						t.Errorf("%s row %d:\n parquet %s\n    text %s", codec, i+1, gj, wj)
					}
				}
			}
		})
	}
	if *writeFixture {
		raw, _ := os.ReadFile("testdata/awsdocs_flowlog_custom_v5_with_header.log")
		names, lines := flowSet(raw)
		if err := os.WriteFile("testdata/own_v5_hive.log.parquet", flowParquet(t, names, lines, 1, parquettest.Snappy), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
