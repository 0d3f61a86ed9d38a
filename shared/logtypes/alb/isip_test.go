package alb

import (
	"net/netip"
	"testing"
)

// isIP's shortcut for names answers as netip.ParseAddr does.
func TestIsIPMatchesParseAddr(t *testing.T) {
	for _, s := range []string{"", "10.0.0.1", "192.0.2.168", "::1", "::", "fe80::1%eth0", "2001:db8::1", "abcd::", "::ffff:1.2.3.4",
		"my-loadbalancer", "app/my-alb/50dc6c495c0c9188", "1abc", "-", "a:b", "10.0.0.1:80", " 10.0.0.1", "net/my-nlb/c6e77e28c25b2234"} {
		_, err := netip.ParseAddr(s)
		if got := isIP(s); got != (err == nil) {
			t.Errorf("isIP(%q) = %v, ParseAddr error %v", s, got, err)
		}
	}
}
