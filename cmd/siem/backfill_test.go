package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ids reads every document id of the file sink's output.
func ids(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	out := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var d struct {
				ID string `json:"@id"`
			}
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil || d.ID == "" {
				t.Fatalf("%s: a line without @id: %v", f, err)
			}
			out[filepath.Base(f)+"/"+d.ID]++
		}
		fh.Close()
	}
	return out
}

// A local backfill over a folder, run twice into the same output: the
// second run replaces every document rather than appending a copy; a
// window on modification times keeps only the files in it.
func TestLocalBackfillNoDuplicates(t *testing.T) {
	bin := build(t)
	src := t.TempDir()
	// Two objects of the demo, copied so their times can be set.
	for _, rel := range []string{
		"AWSLogs/123456789012/CloudTrail/us-east-1/2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz",
		"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-05bd2d2a2c4a0f8b1_20240115T0000Z_a1b2c3d4.log.gz",
	} {
		b, err := os.ReadFile(filepath.Join("../../testdata/demo", rel))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(src, rel)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		mt := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
		if strings.Contains(rel, "CloudTrail") {
			mt = time.Date(2023, 7, 10, 0, 0, 0, 0, time.UTC)
		}
		os.Chtimes(dst, mt, mt)
	}
	out := filepath.Join(t.TempDir(), "out")
	run := func(args ...string) string {
		t.Helper()
		b, err := exec.Command(bin, append([]string{"backfill", "--quiet", "--out", out}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("siem backfill %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	run(src)
	first := ids(t, out)
	if len(first) == 0 {
		t.Fatal("nothing loaded")
	}
	second := run(src)
	again := ids(t, out)
	if len(again) != len(first) {
		t.Fatalf("%d documents after the second backfill, %d after the first", len(again), len(first))
	}
	for id, n := range again {
		if n != 1 || first[id] != 1 {
			t.Fatalf("document %s: %d copies after the second backfill (%d after the first)", id, n, first[id])
		}
	}
	if !strings.Contains(second, "were replaced, not duplicated") {
		t.Errorf("second run does not say it replaced documents:\n%s", second)
	}

	// Only the VPC flow file was modified in January 2024.
	out = filepath.Join(t.TempDir(), "window")
	msg := run("--since", "2024-01-01", "--until", "2024-02-01", src)
	if !strings.Contains(msg, "1 of 2 files in the window") {
		t.Errorf("window:\n%s", msg)
	}
	for id := range ids(t, out) {
		if !strings.HasPrefix(id, "log-aws-vpcflowlogs-") {
			t.Errorf("%s loaded, but its file is outside the window", id)
		}
	}

	// --key-dates: the dates in the paths decide (the CloudTrail file's
	// 2023/07/10), not the modification times.
	out = filepath.Join(t.TempDir(), "keydates")
	msg = run("--key-dates", "--since", "2023-07-01", "--until", "2023-08-01", src)
	if !strings.Contains(msg, "1 of 2 files in the window") {
		t.Errorf("key dates:\n%s", msg)
	}
	for id := range ids(t, out) {
		if !strings.HasPrefix(id, "log-aws-cloudtrail-") {
			t.Errorf("%s loaded, but its path date is outside the window", id)
		}
	}
}
