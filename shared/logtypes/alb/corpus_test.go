package alb

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusALB decodes every line of the third-party ELB samples in
// ../shared/corpus (extra conformance tier; the files are not copied into
// the project because of their licence).
func TestCorpusALB(t *testing.T) {
	dir := "../../../../shared/corpus/alb"
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	// Classic and Network Load Balancer lines can land in the same bucket:
	// the decoder reads them too.
	for _, other := range []string{"clb", "nlb"} {
		more, _ := filepath.Glob(filepath.Join(dir, "..", other, "*.log"))
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Skipf("corpus tier skipped: no ALB samples in %s (absent outside developer machines and CI)", dir)
	}
	total := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		n, lines := 0, 0
		for sc.Scan() {
			lines++
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			n++
			if _, err := Decode([]byte(line)); err != nil {
				t.Errorf("%s:%d: %v\n  %s", filepath.Base(f), lines, err, line)
			}
		}
		fh.Close()
		total += n
		t.Logf("%s: %d lines decoded", filepath.Base(f), n)
	}
	t.Logf("%d corpus lines", total)
}
