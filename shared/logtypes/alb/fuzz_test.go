package alb_test

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/siemloader/siem/shared/logtypes/alb"
)

// FuzzDecode: no input may panic the decoder. A decoded line has a known
// log_kind, only non-empty string values other than "-", addresses that
// parse, and does not change when the input buffer is overwritten; a
// rejected line has a reason. Seeds: every line of testdata/*.log plus
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.log")
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			f.Add(append([]byte(nil), sc.Bytes()...))
		}
		fh.Close()
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := alb.Decode(b)
		if err != nil {
			if m != nil || err.Error() == "" {
				t.Fatalf("error %q with result %v", err, m)
			}
			return
		}
		switch m["log_kind"] {
		case alb.KindAccess, alb.KindConnection, alb.KindNLB, alb.KindClassic:
		default:
			t.Fatalf("log_kind %v: %q", m["log_kind"], b)
		}
		snapshot := make(map[string]string, len(m))
		for k, v := range m {
			s, ok := v.(string)
			if !ok || s == "" || s == "-" {
				t.Fatalf("%s = %#v: %q", k, v, b)
			}
			snapshot[k] = s
		}
		for _, k := range []string{"client_ip", "target_ip", "destination_ip"} {
			if v, ok := snapshot[k]; ok {
				if _, err := netip.ParseAddr(v); err != nil {
					t.Fatalf("%s = %q is not an address: %q", k, v, b)
				}
			}
		}
		if _, ok := snapshot["timestamp"]; !ok {
			t.Fatalf("no timestamp: %q", b)
		}
		for i := range b {
			b[i] = 0
		}
		for k, v := range m {
			if v.(string) != snapshot[k] {
				t.Fatalf("%s changed with the input buffer", k)
			}
		}
	})
}
