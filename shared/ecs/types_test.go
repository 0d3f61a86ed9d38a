package ecs

import (
	"net/netip"
	"strings"
	"testing"
)

// coerceIPReference is what an ip field's value must become: the
// address in canonical form (IPv4-mapped IPv6 as IPv4), or refused.
func coerceIPReference(s string) (string, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	return a.Unmap().String(), true
}

func checkCoerceIP(t *testing.T, s string) {
	t.Helper()
	want, wok := coerceIPReference(s)
	got, ok := Coerce("source.ip", s)
	if ok != wok || (ok && got != want) {
		t.Fatalf("Coerce(source.ip, %q) = %v, %v; want %q, %v", s, got, ok, want, wok)
	}
}

func TestCoerceIP(t *testing.T) {
	for _, s := range []string{
		"192.0.2.1", "0.0.0.0", "255.255.255.255", " 192.0.2.1", "192.0.2.1\n", "192.0.2.01", "192.0.2", "1.2.3.4.5",
		"::ffff:192.0.2.1", "::FFFF:c000:0201", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "2001:db8::1", "fe80::1%eth0",
		"-", "", "abc", "256.1.1.1", "1.2.3.-4",
	} {
		checkCoerceIP(t, s)
	}
	if _, ok := Coerce("source.ip", 7); ok {
		t.Error("a number coerced to an address")
	}
}

func FuzzCoerceIP(f *testing.F) {
	for _, s := range []string{"192.0.2.1", " 10.0.0.1 ", "::ffff:1.2.3.4", "2001:DB8::1", "1.02.3.4"} {
		f.Add(s)
	}
	f.Fuzz(checkCoerceIP)
}
