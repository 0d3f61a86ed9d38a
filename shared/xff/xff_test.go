package xff

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnrich(t *testing.T) {
	trusted, err := ParseTrusted(strings.NewReader("# CloudFront and the ALB subnet\n130.176.0.0/16, 10.0.0.5/16\n2600:9000::/28"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		source, xff any
		wantIP      string
		wantChain   []any
	}{
		{"proxy replaced by rightmost untrusted", "130.176.1.2", "203.0.113.9, 198.51.100.4, 10.0.3.3", "198.51.100.4", []any{"203.0.113.9", "198.51.100.4", "10.0.3.3"}},
		{"untrusted client kept", "198.51.100.77", "203.0.113.9", "198.51.100.77", []any{"203.0.113.9"}},
		{"all trusted: client kept", "10.0.1.1", []any{"130.176.9.9", "10.0.0.7"}, "10.0.1.1", []any{"130.176.9.9", "10.0.0.7"}},
		{"IPv6 proxy, port and junk in chain", "2600:9000:1::1", "unknown, 2001:db8::7, 192.0.2.1:5555", "192.0.2.1", []any{"2001:db8::7", "192.0.2.1"}},
	}
	for _, c := range cases {
		d := map[string]any{"source": map[string]any{"ip": c.source}, "http": map[string]any{"request": map[string]any{"header": map[string]any{"x_forwarded_for": c.xff}}}}
		trusted.Enrich(d, "source.ip", "http.request.header.x_forwarded_for")
		if got := d["source"].(map[string]any)["ip"]; got != c.wantIP {
			t.Errorf("%s: source.ip %v, want %s", c.name, got, c.wantIP)
		}
		chain := d["http"].(map[string]any)["request"].(map[string]any)["header"].(map[string]any)["x_forwarded_for"]
		if !reflect.DeepEqual(chain, c.wantChain) {
			t.Errorf("%s: chain %v", c.name, chain)
		}
		rel := d["related"].(map[string]any)["ip"].([]any)
		if len(rel) != len(c.wantChain) {
			t.Errorf("%s: related.ip %v", c.name, rel)
		}
	}
	if _, err := ParseTrusted(strings.NewReader("10.0.0.0/8 not-an-ip")); err == nil || !strings.Contains(err.Error(), "not-an-ip") {
		t.Errorf("bad entry: %v", err)
	}
	var none *Trusted
	d := map[string]any{"source": map[string]any{"ip": "10.0.0.1"}, "xff": "198.51.100.1"}
	none.Enrich(d, "source.ip", "xff")
	if d["source"].(map[string]any)["ip"] != "10.0.0.1" || d["xff"] == nil {
		t.Errorf("without trusted proxies: %v", d)
	}
}
