package alb_test

import (
	"bufio"
	"os"
	"testing"

	"github.com/siemloader/siem/shared/logtypes/alb"
)

// FuzzDecode: no input may panic the decoder; a decoded line always has
// its kind.
func FuzzDecode(f *testing.F) {
	if fh, err := os.Open("testdata/generations.log"); err == nil {
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			f.Add(append([]byte(nil), sc.Bytes()...))
		}
		fh.Close()
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := alb.Decode(b)
		if err == nil && m["log_kind"] == nil {
			t.Fatalf("decoded without log_kind: %q", b)
		}
	})
}
