package ecs

import (
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/doc"
)

// SetTLSVersion writes what the lower-casing version wrote, with the
// common versions' boxed values shared.
func TestSetTLSVersion(t *testing.T) {
	old := func(d map[string]any, proto string) {
		v, ok := strings.CutPrefix(strings.ToLower(proto), "tlsv")
		if !ok || v == "" {
			return
		}
		if !strings.Contains(v, ".") && len(v) == 2 {
			v = v[:1] + "." + v[1:]
		}
		doc.Set(d, "tls.version_protocol", "tls")
		doc.Set(d, "tls.version", v)
	}
	for _, p := range []string{"", "-", "TLSv", "TLSv1", "TLSv1.2", "tlsv1.3", "TLSV1.1", "TLSv12", "TLSv13", "TLSv1.0", "TLSv2.0X", "SSLv3", "tls1.2", "TLSv1.2 ", "TLSvÉ", "tlſv1.2"} {
		want, got := map[string]any{}, map[string]any{}
		old(want, p)
		SetTLSVersion(got, p)
		w, _ := doc.AppendJSON(nil, want)
		g, _ := doc.AppendJSON(nil, got)
		if string(w) != string(g) {
			t.Errorf("%q: %s, want %s", p, g, w)
		}
	}
}
