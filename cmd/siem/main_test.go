package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "siem")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// The local runner contract: flags before or after paths, a summary JSON
// with the accounting identity, exit 0 despite dead letters.
func TestLoadContract(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.json")
	cmd := exec.Command(bin, "load", "--out", filepath.Join(dir, "out"), "../../testdata/demo", "--summary", summary, "--quiet")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("siem load: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "records in") || !strings.Contains(string(out), "log-aws-cloudtrail-2023-07") {
		t.Errorf("summary table missing:\n%s", out)
	}
	var s map[string]any
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"records_in", "indexed", "dead_lettered", "skipped", "by_type", "by_index"} {
		if _, ok := s[k]; !ok {
			t.Errorf("summary lacks %s", k)
		}
	}
	in, ix, dl, sk := s["records_in"].(float64), s["indexed"].(float64), s["dead_lettered"].(float64), s["skipped"].(float64)
	if in == 0 || in != ix+dl+sk || dl == 0 {
		t.Errorf("records_in %v != indexed %v + dead_lettered %v + skipped %v", in, ix, dl, sk)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "dead-letter")); err != nil {
		t.Errorf("dead-letter dir: %v", err)
	}
}

func TestOperationalFailuresExitNonZero(t *testing.T) {
	bin := build(t)
	for _, args := range [][]string{
		{"load", "no/such/path"},
		{"load", "--type", "nosuchtype", "../../testdata/demo"},
		{"load"},
	} {
		if err := exec.Command(bin, args...).Run(); err == nil {
			t.Errorf("siem %v exited 0", args)
		}
	}
	out, err := exec.Command(bin, "types").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "vpcflowlogs") || !strings.Contains(string(out), "CloudTrail/") {
		t.Errorf("siem types: %v\n%s", err, out)
	}
}

func TestLoadWithCustomLogTypes(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	summary := filepath.Join(dir, "s.json")
	out, err := exec.Command(bin, "load", "--quiet", "--config", "../../docs/custom-log-types.example.yaml", "--type", "myapp-access",
		"--out", dir, "--summary", summary, "../../shared/logtype/testdata/custom/access.log").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	b, _ := os.ReadFile(summary)
	var s struct {
		ByIndex map[string]int `json:"by_index"`
	}
	json.Unmarshal(b, &s)
	if s.ByIndex["log-myapp-access-2024-03"] != 2 {
		t.Errorf("summary %s", b)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("log_types:\n  - name: x\n    s3_key: 'x/'\n    format: text\n    index: {name: log-x}\n"), 0o644)
	out, err = exec.Command(bin, "load", "--config", bad, "../../testdata/demo").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `"x": field pattern`) {
		t.Errorf("bad config: %v\n%s", err, out)
	}
}
