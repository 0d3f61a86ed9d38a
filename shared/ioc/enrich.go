package ioc

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/siemloader/siem/shared/doc"
)

// Fields every document is checked on, besides those its log type names.
var (
	DefaultIPFields     = []string{"source.ip", "destination.ip", "related.ip"}
	DefaultDomainFields = []string{"dns.question.name", "url.domain"}
	DefaultURLFields    = []string{"url.full", "url.original"}
)

// reserved are networks no feed should flag and no lookup should spend
// time on (documentation, benchmarking, shared address space ...), besides
// what netip already calls private, loopback, link-local or multicast.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("100::/64"), netip.MustParsePrefix("2001:2::/48"), netip.MustParsePrefix("2001:10::/28"),
}

// Public reports whether a is an address threat intel can say anything
// about (not private, loopback, link-local, documentation...).
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

type match struct {
	ind    *Indicator
	value  string
	fields []string
}

// Enrich looks the document's addresses, domains and URLs up and writes
// each hit to threat.enrichments (ECS: indicator and matched fields) and
// a summary to threat.matched (providers, types, indicators, names).
func (db *DB) Enrich(d map[string]any, ipFields, domainFields []string) {
	if db == nil || len(db.Indicators) == 0 {
		return
	}
	var matches []*match
	var byKey map[string]*match // most documents match nothing: made on the first hit
	hit := func(field, value string, inds []*Indicator) {
		for _, ind := range inds {
			if byKey == nil {
				byKey = map[string]*match{}
			}
			k := value + "\x00" + ind.Provider + "\x00" + ind.Type + "\x00" + ind.Value
			m := byKey[k]
			if m == nil {
				m = &match{ind: ind, value: value}
				byKey[k] = m
				matches = append(matches, m)
			}
			if !contains(m.fields, field) {
				m.fields = append(m.fields, field)
			}
		}
	}
	eachField(DefaultIPFields, ipFields, func(f string) {
		eachValue(d, f, func(v string) {
			if r := db.ipAnswer(v); len(r.inds) > 0 {
				hit(f, r.atom, r.inds)
			}
		})
	})
	eachField(DefaultDomainFields, domainFields, func(f string) {
		eachValue(d, f, func(v string) {
			if r := db.domainAnswer(v); len(r.inds) > 0 {
				hit(f, r.atom, r.inds)
			}
		})
	})
	// A URL lookup is one map probe of the string as it is: no cache.
	for _, f := range DefaultURLFields {
		eachValue(d, f, func(v string) {
			hit(f, v, db.LookupURL(v))
		})
	}
	if len(matches) == 0 {
		return
	}
	enrichments := make([]any, 0, len(matches))
	providers, types, indicators, names := set{}, set{}, set{}, set{}
	for _, m := range matches {
		ind := map[string]any{"provider": m.ind.Provider, "type": m.ind.Type}
		put := func(k, v string) {
			if v != "" {
				ind[k] = v
			}
		}
		put("name", m.ind.Name)
		put("description", m.ind.Description)
		put("reference", m.ind.Reference)
		put("first_seen", m.ind.FirstSeen)
		put("last_seen", m.ind.LastSeen)
		put("modified_at", m.ind.Modified)
		if m.ind.Confidence > 0 {
			ind["confidence"] = m.ind.Confidence
		}
		switch m.ind.Type {
		case TypeIPv4, TypeIPv6:
			ind["ip"] = m.value
			if m.ind.Value != m.value {
				ind["network"] = m.ind.Value // the listed network that holds it
			}
		case TypeDomain:
			ind["url"] = map[string]any{"domain": m.value}
		case TypeURL:
			ind["url"] = map[string]any{"original": m.value}
		}
		fields := make([]any, len(m.fields))
		for i, f := range m.fields {
			fields[i] = f
		}
		enrichments = append(enrichments, map[string]any{
			"indicator": ind,
			"matched":   map[string]any{"atomic": m.value, "field": fields, "type": "indicator_match_rule"},
		})
		providers.add(m.ind.Provider)
		types.add(m.ind.Type)
		indicators.add(m.value)
		names.add(m.ind.Name)
	}
	doc.Set(d, "threat.enrichments", enrichments)
	doc.Set(d, "threat.matched", map[string]any{"providers": providers.list(), "types": types.list(), "indicators": indicators.list(), "names": names.list()})
}

// eachField calls fn with the default fields, then the log type's own
// ones not among them (per document: no list is built).
func eachField(defaults, extra []string, fn func(string)) {
	for _, f := range defaults {
		fn(f)
	}
	for i, f := range extra {
		if !contains(defaults, f) && !contains(extra[:i], f) {
			fn(f)
		}
	}
}

// ipAnswer looks an address string up through the cache: strings that
// are not public addresses are remembered as no match too.
func (db *DB) ipAnswer(v string) ipAnswer {
	if r, ok := db.ipCache.Get(v); ok {
		return r
	}
	var r ipAnswer
	if a, err := netip.ParseAddr(v); err == nil && Public(a) {
		if inds := db.LookupIP(a); len(inds) > 0 {
			r = ipAnswer{atom: a.Unmap().String(), inds: inds}
		}
	}
	db.ipCache.Add(v, r)
	return r
}

// domainAnswer looks a domain string up through the cache.
func (db *DB) domainAnswer(v string) domainAnswer {
	if r, ok := db.domainCache.Get(v); ok {
		return r
	}
	var r domainAnswer
	if inds := db.LookupDomain(v); len(inds) > 0 {
		// A copy: normalizing may return part of v, which may be part
		// of a whole input buffer.
		r = domainAnswer{atom: strings.Clone(normalizeDomain(v)), inds: inds}
	}
	db.domainCache.Add(v, r)
	return r
}

// eachValue calls fn with each non-empty string of a field holding a
// string or a list of strings.
func eachValue(d map[string]any, path string, fn func(string)) {
	v, ok := doc.Get(d, path)
	if !ok {
		return
	}
	switch t := v.(type) {
	case string:
		if t != "" {
			fn(t)
		}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "" {
				fn(s)
			}
		}
	}
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

type set map[string]bool

func (s set) add(v string) {
	if v != "" {
		s[v] = true
	}
}

func (s set) list() []any {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}
