// Package ioc is the threat-intelligence database: indicators (IP
// addresses and networks, domains, URLs) from public feeds and the user's
// own files, built once by the IoC state machine and matched against
// every document in the enrich step.
//
// The stored form is gzip JSON (format "siem-ioc/1"): easy to inspect with
// zcat, and it loads in milliseconds for the feed sizes involved. Lookups
// use in-memory maps: an exact address, then one map probe per network
// prefix length present, so a lookup costs well under a microsecond.
package ioc

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"github.com/siemloader/siem/shared/lru"
)

// Format names the stored database layout.
const Format = "siem-ioc/1"

// Indicator types (STIX 2 cyber-observable names).
const (
	TypeIPv4   = "ipv4-addr"
	TypeIPv6   = "ipv6-addr"
	TypeDomain = "domain-name"
	TypeURL    = "url"
)

// Indicator is one piece of threat intelligence.
type Indicator struct {
	Type        string `json:"type"`
	Value       string `json:"value"` // address, CIDR network, domain or URL
	Provider    string `json:"provider"`
	Name        string `json:"name,omitempty"`
	Reference   string `json:"reference,omitempty"`
	Description string `json:"description,omitempty"`
	FirstSeen   string `json:"first_seen,omitempty"`
	LastSeen    string `json:"last_seen,omitempty"`
	Modified    string `json:"modified,omitempty"`
	Confidence  int    `json:"confidence,omitempty"`
}

// File is the stored database.
type File struct {
	Format  string         `json:"format"`
	Version string         `json:"version"`
	Built   string         `json:"built"`
	Sources map[string]int `json:"sources"`
	Types   map[string]int `json:"types"`
	// Indicators are sorted by type, value and provider.
	Indicators []Indicator `json:"indicators"`
}

// DefaultCacheSize bounds each of a DB's two lookup caches (addresses and
// domains, by the string a document holds) unless CacheSize says otherwise.
const DefaultCacheSize = 50000

// Option configures Load and Open.
type Option func(*options)

type options struct{ cacheSize int }

// CacheSize sets how many distinct address and domain strings a DB
// remembers the match result for (least recently used first out); < 1
// disables the caches.
func CacheSize(n int) Option { return func(o *options) { o.cacheSize = n } }

// DB answers lookups. It is safe for concurrent use once built.
//
// Enrich remembers its per-address and per-domain answers in caches that
// belong to the DB: a new version is a new DB, with empty caches, so a
// reload never serves an older version's matches.
type DB struct {
	File
	exact   map[netip.Addr][]int32
	nets    map[int]map[netip.Prefix][]int32 // prefix length -> network -> indicators
	lengths []int                            // prefix lengths present, longest first
	domains map[string][]int32
	urls    map[string][]int32

	ipCache     *lru.Cache[ipAnswer]
	domainCache *lru.Cache[domainAnswer]
}

// ipAnswer is what Enrich needs for one address string: the address as
// matched (unmapped, canonical) and its indicators; nothing for strings
// that are not public addresses. Shared between documents: read-only.
type ipAnswer struct {
	atom string
	inds []*Indicator
}

// domainAnswer is the normalized domain and its indicators.
type domainAnswer struct {
	atom string
	inds []*Indicator
}

// CacheStats reports the use of the address and domain caches.
func (db *DB) CacheStats() (ips, domains lru.Stats) {
	if db == nil {
		return
	}
	return db.ipCache.Stats(), db.domainCache.Stats()
}

// Load reads a stored database.
func Load(r io.Reader, opts ...Option) (*DB, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("IoC database: %w", err)
	}
	var f File
	if err := json.NewDecoder(zr).Decode(&f); err != nil {
		return nil, fmt.Errorf("IoC database: %w", err)
	}
	if f.Format != Format {
		return nil, fmt.Errorf("IoC database: format %q, want %q", f.Format, Format)
	}
	return index(f, opts), nil
}

func index(f File, opts []Option) *DB {
	o := options{cacheSize: DefaultCacheSize}
	for _, opt := range opts {
		opt(&o)
	}
	db := &DB{File: f, exact: map[netip.Addr][]int32{}, nets: map[int]map[netip.Prefix][]int32{}, domains: map[string][]int32{}, urls: map[string][]int32{},
		ipCache: lru.New[ipAnswer](o.cacheSize), domainCache: lru.New[domainAnswer](o.cacheSize)}
	for i, ind := range f.Indicators {
		n := int32(i)
		switch ind.Type {
		case TypeIPv4, TypeIPv6:
			p, err := parseNetwork(ind.Value)
			if err != nil {
				continue
			}
			if p.IsSingleIP() {
				db.exact[p.Addr()] = append(db.exact[p.Addr()], n)
				continue
			}
			m := db.nets[p.Bits()]
			if m == nil {
				m = map[netip.Prefix][]int32{}
				db.nets[p.Bits()] = m
				db.lengths = append(db.lengths, p.Bits())
			}
			m[p] = append(m[p], n)
		case TypeDomain:
			k := normalizeDomain(ind.Value)
			db.domains[k] = append(db.domains[k], n)
		case TypeURL:
			db.urls[ind.Value] = append(db.urls[ind.Value], n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(db.lengths)))
	return db
}

// Len is the number of indicators.
func (db *DB) Len() int { return len(db.Indicators) }

// LookupIP returns the indicators whose address or network holds a.
func (db *DB) LookupIP(a netip.Addr) []*Indicator {
	a = a.Unmap()
	var out []*Indicator
	for _, i := range db.exact[a] {
		out = append(out, &db.Indicators[i])
	}
	for _, bits := range db.lengths {
		if bits > a.BitLen() {
			continue
		}
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		for _, i := range db.nets[bits][p] {
			out = append(out, &db.Indicators[i])
		}
	}
	return out
}

// LookupDomain returns the indicators naming the domain (case and a
// trailing dot ignored).
func (db *DB) LookupDomain(d string) []*Indicator {
	var out []*Indicator
	for _, i := range db.domains[normalizeDomain(d)] {
		out = append(out, &db.Indicators[i])
	}
	return out
}

// LookupURL returns the indicators naming exactly this URL.
func (db *DB) LookupURL(u string) []*Indicator {
	var out []*Indicator
	for _, i := range db.urls[u] {
		out = append(out, &db.Indicators[i])
	}
	return out
}

func normalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// parseNetwork reads an address or a CIDR network (host bits allowed).
func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
