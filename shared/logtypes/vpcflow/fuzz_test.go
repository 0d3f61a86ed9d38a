package vpcflow_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

// FuzzVPCFlow feeds arbitrary objects through framing, decoding and
// normalization: no panic, and every record accounted for.
func FuzzVPCFlow(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.log")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && !bytes.HasSuffix([]byte(p), []byte(".golden.json")) {
			f.Add(b)
		}
	}
	def := logtype.Builtin().Get("vpcflowlogs")
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := golden.Process(def, "AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log", bytes.NewReader(b))
		if err != nil {
			return // unreadable input (e.g. broken gzip header) is an object-level error
		}
		if len(res.Documents)+len(res.DeadLetters) != res.RecordsIn {
			t.Fatalf("accounting: %d in, %d docs, %d dead", res.RecordsIn, len(res.Documents), len(res.DeadLetters))
		}
		for _, d := range res.Documents {
			if d.ID == "" || d.Index == "" {
				t.Fatalf("document without id or index: %+v", d)
			}
		}
	})
}
