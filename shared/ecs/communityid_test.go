package ecs

import (
	"net/netip"
	"testing"
)

// Values from Elastic's Network Firewall and VPC flow expected documents
// and the spec's own examples.
func TestCommunityID(t *testing.T) {
	for _, c := range []struct {
		src, dst     string
		sport, dport int
		proto        int
		want         string
	}{
		{"81.2.69.143", "216.160.83.57", 51254, 80, 6, "1:+Arv0tAf8Q00mJ6C2ho2P6pp0Io="},
		{"216.160.83.57", "81.2.69.143", 80, 51254, 6, "1:+Arv0tAf8Q00mJ6C2ho2P6pp0Io="},
		{"216.160.83.61", "89.160.20.156", 61953, 5060, 6, "1:8w7Dxxu/XbT7j2QHfuLAWrp31Pc="},
		{"128.232.110.120", "66.35.250.204", 34855, 80, 6, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		// ICMP as VPC flow logs write it (type and code 0 in the ports).
		{"203.0.113.12", "172.31.16.139", 0, 0, 1, "1:H//CCQJhRqDUJ9c23S0VrQ+drxU="},
		{"172.31.16.139", "203.0.113.12", 0, 0, 1, "1:cfQqw/Kh6+4yqhEKgkCw/m3WoJM="},
		// IPv6, ICMPv6 (neighbor solicitation pairs with advertisement)
		// and a mapped IPv4 address: pinned from the AsSlice version, so
		// the 16-byte and 4-byte cuts of As16 stay what the spec hashes.
		{"2001:db8::1", "2001:db8::2", 443, 51000, 6, "1:2TiKiiiSIuDma9IxOEOpx4wCXWM="},
		{"fe80::1", "2001:db8::2", 128, 0, 58, "1:t7gNwFVsuoaRGxDXLdq9do4sMcM="},
		{"::ffff:10.0.0.1", "10.0.0.2", 53, 1234, 17, "1:Fah9NfhVq/PV5hld8BXNF87PWf8="},
	} {
		if got, ok := CommunityID(c.src, c.dst, c.sport, c.dport, c.proto); !ok || got != c.want {
			t.Errorf("%s:%d -> %s:%d/%d = %q, want %q", c.src, c.sport, c.dst, c.dport, c.proto, got, c.want)
		}
	}
	if _, ok := CommunityID("10.0.0.1", "::1", 1, 2, 6); ok {
		t.Error("mixed families hashed")
	}
	if _, ok := CommunityIDAddrs(netip.Addr{}, netip.MustParseAddr("10.0.0.2"), 1, 2, 6); ok {
		t.Error("zero address hashed")
	}
	if _, ok := CommunityID("10.0.0.1", "not an address", 1, 2, 6); ok {
		t.Error("unparsable address hashed")
	}
	req, _ := CommunityID("10.0.0.1", "10.0.0.2", 8, 0, 1)
	rep, _ := CommunityID("10.0.0.2", "10.0.0.1", 0, 0, 1)
	if req != rep {
		t.Errorf("echo request %s and reply %s differ", req, rep)
	}
}
