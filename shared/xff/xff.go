// Package xff picks the real client of a request that came through
// proxies (CloudFront, a load balancer, a CDN): the rightmost address of
// the X-Forwarded-For chain that is not a trusted proxy.
package xff

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"github.com/siemloader/siem/shared/doc"
)

// Trusted is a set of proxy networks.
type Trusted struct {
	prefixes []netip.Prefix
}

// ParseTrusted reads networks separated by commas, spaces or newlines
// ("10.0.0.0/8, 192.0.2.7 2001:db8::/32"); "#" starts a comment. Host
// bits are allowed (127.0.0.1/8). A bad entry is an error naming it.
func ParseTrusted(r io.Reader) (*Trusted, error) {
	t := &Trusted{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			p, err := parsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxies line %d: %q is not an IP address or network", line, f)
			}
			t.prefixes = append(t.prefixes, p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Slice(t.prefixes, func(i, j int) bool { return t.prefixes[i].Bits() < t.prefixes[j].Bits() })
	return t, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Len is the number of networks.
func (t *Trusted) Len() int {
	if t == nil {
		return 0
	}
	return len(t.prefixes)
}

// Contains reports whether a is in a trusted network.
func (t *Trusted) Contains(a netip.Addr) bool {
	if t == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Enrich reads the chain at xffField (a "a, b" string or a list), keeps
// its valid addresses there as a list and in related.ip, and, when the
// address at ipField is a trusted proxy, replaces it with the rightmost
// untrusted address of the chain (GeoIP and threat intel then look at the
// client, not the proxy). source.address keeps what the log said.
func (t *Trusted) Enrich(d map[string]any, ipField, xffField string) {
	v, ok := doc.Get(d, xffField)
	if !ok {
		return
	}
	var parts []string
	switch x := v.(type) {
	case string:
		parts = strings.Split(x, ",")
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				parts = append(parts, strings.Split(s, ",")...)
			}
		}
	}
	var chain []netip.Addr
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if a, err := netip.ParseAddr(p); err == nil {
			chain = append(chain, a.Unmap())
		} else if ap, err := netip.ParseAddrPort(p); err == nil { // "1.2.3.4:5678"
			chain = append(chain, ap.Addr().Unmap())
		}
	}
	if len(chain) == 0 {
		doc.Delete(d, xffField)
		return
	}
	list := make([]any, len(chain))
	for i, a := range chain {
		list[i] = a.String()
	}
	doc.Set(d, xffField, list)
	addRelated(d, list)
	client, err := netip.ParseAddr(doc.GetString(d, ipField))
	if err != nil || !t.Contains(client) {
		return
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if !t.Contains(chain[i]) {
			if chain[i] != client.Unmap() {
				doc.Set(d, ipField, chain[i].String())
			}
			return
		}
	}
}

func addRelated(d map[string]any, ips []any) {
	seen := map[string]bool{}
	var out []string
	cur, _ := doc.Get(d, "related.ip")
	l, _ := cur.([]any)
	for _, e := range append(append([]any{}, l...), ips...) {
		if s, ok := e.(string); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	res := make([]any, len(out))
	for i, s := range out {
		res[i] = s
	}
	doc.Set(d, "related.ip", res)
}
