package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/format"
)

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func writeGzip(t *testing.T, path string, r io.Reader) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if _, err := io.Copy(zw, r); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRunBadInput loads, in one run against an in-process _bulk server,
// the inputs of issue 20 beside good ones: a gzip bomb (1 GiB of zeros,
// generated here, ~1 MB), a line over the record limit, a CloudTrail gzip
// cut halfway and a record with invalid UTF-8. Each hostile file costs
// one dead letter saying why, the records around it load, the good files
// are untouched, and accepted ids + dead letters + skips = records in.
func TestRunBadInput(t *testing.T) {
	const demoCT = "../../testdata/demo/AWSLogs/123456789012/CloudTrail/us-east-1/2023/07/10/"
	good, err := os.ReadFile(demoCT + "218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(demoCT + "218007301253_CloudTrail_us-east-1_20230710T1210Z_6CICdbJQM3beT7n3.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	// The limits are small so the long line stays cheap: records of 1 MiB,
	// the ratio checked from 512 KiB out (the bomb's 1 GiB stops there).
	old := format.CurrentLimits()
	format.SetLimits(format.Limits{MaxRecordBytes: 1 << 20, RatioFloorBytes: 512 << 10})
	t.Cleanup(func() { format.SetLimits(old) })

	dir := t.TempDir()
	ctDir := filepath.Join(dir, "AWSLogs/123456789012/CloudTrail/us-east-1/2023/07/10")
	albDir := filepath.Join(dir, "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/15")
	bomb := filepath.Join(ctDir, "123456789012_CloudTrail_us-east-1_20230710T1200Z_bomb0000.json.gz")
	writeGzip(t, bomb, io.LimitReader(zeros{}, 1<<30))
	if st, _ := os.Stat(bomb); st.Size() > 8<<20 {
		t.Fatalf("bomb is %d bytes", st.Size())
	}
	os.WriteFile(filepath.Join(ctDir, "123456789012_CloudTrail_us-east-1_20230710T1200Z_good0000.json.gz"), good, 0o644)
	cut := filepath.Join(ctDir, "123456789012_CloudTrail_us-east-1_20230710T1200Z_trunc000.json.gz")
	os.WriteFile(cut, other[:len(other)/2], 0o644)

	albLine := `https 2024-01-15T00:00:01.000000Z app/my-lb/abc 192.0.2.10:5555 10.0.0.5:80 0.001 0.002 0.000 200 200 100 200 "GET https://example.com:443/ HTTP/1.1" "curl/8.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1 "Root=1-65a4-abc" "example.com" "arn:aws:acm:us-east-1:123456789012:certificate/x" 0 2024-01-15T00:00:00.998000Z "forward" "-" "-" "10.0.0.5:80" "200" "-" "-"`
	// The long line does not compress (random letters): it is over the
	// record limit, not the ratio.
	rnd := rand.New(rand.NewPCG(3, 4))
	lb := make([]byte, 3<<20)
	for i := range lb {
		lb[i] = 'a' + byte(rnd.IntN(26))
	}
	long := string(lb)
	albFile := filepath.Join(albDir, "123456789012_elasticloadbalancing_us-east-1_app.my-lb.abc_20240115T0000Z_192.0.2.10_long.log.gz")
	writeGzip(t, albFile, strings.NewReader(albLine+"\n"+long+"\n"+strings.Replace(albLine, "curl/8.0", "curl/8.0 caf\xe9", 1)+"\n"+strings.Replace(albLine, "00:00:01", "00:00:02", 1)+"\n"))

	fs := &faultServer{accepted: map[string]int{}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	client, err := bulk.New(bulk.Config{Endpoint: srv.URL, Auth: "none", HTTPClient: srv.Client(),
		Timeout: 10 * time.Second, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	out := t.TempDir()
	sum, err := Run(context.Background(), Options{Paths: []string{dir}, OutDir: out, Indexer: client, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("records in %d, indexed %d, dead-lettered %d; allocated %d MiB in all", sum.RecordsIn, sum.Indexed, sum.DeadLettered, (after.TotalAlloc-before.TotalAlloc)>>20)
	if len(sum.FailedObjects) != 0 {
		t.Errorf("failed objects: %+v", sum.FailedObjects)
	}
	if sum.RecordsIn != sum.Indexed+sum.DeadLettered+sum.Skipped {
		t.Errorf("identity: %d != %d + %d + %d", sum.RecordsIn, sum.Indexed, sum.DeadLettered, sum.Skipped)
	}
	dead := readDeadLetters(t, sum.DeadLetterDir)
	if len(fs.accepted)+len(dead)+sum.Skipped != sum.RecordsIn || len(fs.accepted) != sum.Indexed {
		t.Errorf("accepted %d + dead letters %d + skipped %d != records in %d (indexed %d)", len(fs.accepted), len(dead), sum.Skipped, sum.RecordsIn, sum.Indexed)
	}
	bySource := map[string][]string{}
	for _, d := range dead {
		name := d.Source[strings.LastIndex(d.Source, "/")+1:]
		bySource[name] = append(bySource[name], d.Reason)
		switch {
		case strings.Contains(name, "bomb"):
			if d.Record != 1 || !strings.HasPrefix(d.Reason, "decompression limit: ") || !strings.Contains(d.Reason, format.EnvMaxRatio) {
				t.Errorf("bomb: %+v", d)
			}
		case strings.Contains(name, "long"):
			if d.Record != 2 || len(d.Raw) != format.TruncatedRawBytes || !strings.Contains(d.Reason, "record too long: 3145729 bytes") {
				t.Errorf("long line: record %d, %d raw bytes, %s", d.Record, len(d.Raw), d.Reason)
			}
		case strings.Contains(name, "trunc"):
			if !strings.Contains(d.Reason, "truncated or damaged; reading stopped at byte ") || d.Record < 2 {
				t.Errorf("truncated: %+v", d)
			}
		default:
			t.Errorf("dead letter of a good file: %+v", d)
		}
	}
	for _, name := range []string{"bomb", "long", "trunc"} {
		n := 0
		for src, rs := range bySource {
			if strings.Contains(src, name) {
				n += len(rs)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d dead letters, want one: %v", name, n, bySource)
		}
	}
	ct := sum.ByType["cloudtrail"]
	// The good file's 394 records, the truncated one's records before the
	// damage (some of its 246, not all) plus its dead letter, the bomb's one.
	if ct == nil || ct.Indexed <= 394+10 || ct.Indexed >= 394+246 || ct.RecordsIn != ct.Indexed+2 {
		t.Errorf("cloudtrail: %+v", ct)
	}
	if alb := sum.ByType["alb"]; alb == nil || alb.RecordsIn != 4 || alb.Indexed != 3 || alb.DeadLettered != 1 {
		t.Errorf("alb: %+v", alb)
	}
	if fs.flagged != 1 {
		t.Errorf("%d documents tagged invalid_utf8, want the one record with a bad byte", fs.flagged)
	}
	var table bytes.Buffer
	sum.WriteTable(&table)
	for _, want := range []string{"decompression limit", "record too long", "unreadable from here to the end of the object"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("summary table lacks %q:\n%s", want, table.String())
		}
	}
}
