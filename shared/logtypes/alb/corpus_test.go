package alb

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir is ../shared/corpus beside the repository: third-party samples
// (elastic/beats, elastic/integrations; Elastic License 2.0) that are read
// here but never copied into the project.
const corpusDir = "../../../../shared/corpus"

// TestCorpusALB decodes every line of the third-party ELB samples and fails
// on any error, printing the line. Classic and Network Load Balancer lines
// land in the same buckets, so their samples are decoded too. Where Elastic
// ships expected output for a line, the fields both sides read from it must
// agree.
func TestCorpusALB(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "alb", "*.log"))
	if len(files) == 0 {
		t.Skip("../shared/corpus absent: no ALB samples in " + filepath.Join(corpusDir, "alb") + " (present on developer machines and CI only)")
	}
	for _, other := range []string{"clb", "nlb"} {
		more, _ := filepath.Glob(filepath.Join(corpusDir, other, "*.log"))
		files = append(files, more...)
	}
	total := 0
	for _, f := range files {
		expected := loadElasticExpected(t, f+"-expected.json")
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		n, lineNo, checked := 0, 0, 0
		for sc.Scan() {
			lineNo++
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			n++
			m, err := Decode([]byte(line))
			if err != nil {
				t.Errorf("%s:%d: %v\n  %s", name, lineNo, err, line)
				continue
			}
			if exp, ok := expected[line]; ok {
				checked++
				for _, d := range compareElastic(m, exp) {
					t.Errorf("%s:%d: %s", name, lineNo, d)
				}
			}
		}
		fh.Close()
		total += n
		if checked > 0 {
			t.Logf("%s: %d lines decoded (%d checked against Elastic's expected output)", name, n, checked)
		} else {
			t.Logf("%s: %d lines decoded", name, n)
		}
	}
	t.Logf("%d corpus lines decoded, none rejected", total)
}

// loadElasticExpected reads an Elastic pipeline test's expected documents,
// keyed by event.original.
func loadElasticExpected(t *testing.T, path string) map[string]map[string]any {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc struct {
		Expected []map[string]any `json:"expected"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]map[string]any{}
	for _, e := range doc.Expected {
		if orig, ok := dig(e, "event.original").(string); ok {
			out[orig] = e
		}
	}
	return out
}

func dig(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// compareElastic lists disagreements between our raw fields and the ECS
// fields Elastic's pipeline reads from the same line.
func compareElastic(m map[string]any, exp map[string]any) []string {
	pairs := [][2]string{
		{"client_ip", "source.ip"},
		{"client_port", "source.port"},
		{"target_ip", "aws.elb.backend.ip"},
		{"target_port", "aws.elb.backend.port"},
		{"elb", "aws.elb.name"},
		{"request_type", "aws.elb.type"},
		{"http_method", "http.request.method"},
		{"http_version", "http.version"},
		{"elb_status_code", "http.response.status_code"},
		{"received_bytes", "http.request.body.bytes"},
		{"sent_bytes", "http.response.body.bytes"},
		{"http_url", "url.original"},
		{"http_protocol", "url.scheme"},
		{"http_host", "url.domain"},
		{"http_port", "url.port"},
		{"http_path", "url.path"},
		{"http_query", "url.query"},
		{"useragent", "user_agent.original"},
		{"trace_id", "aws.elb.trace_id"},
		{"matched_rule_priority", "aws.elb.matched_rule_priority"},
		{"redirect_url", "aws.elb.redirect_url"},
		{"classification", "aws.elb.classification"},
		{"classification_reason", "aws.elb.classification_reason"},
	}
	var diffs []string
	for _, p := range pairs {
		want := dig(exp, p[1])
		if want == nil {
			continue
		}
		ws := fmt.Sprint(want)
		if ws == "-" {
			ws = "" // Elastic keeps some dashes; we omit them
		}
		got, _ := m[p[0]].(string)
		if got != ws {
			diffs = append(diffs, fmt.Sprintf("%s = %q, Elastic's %s = %q", p[0], got, p[1], ws))
		}
	}
	return diffs
}
