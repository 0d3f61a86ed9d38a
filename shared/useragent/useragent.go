// Package useragent parses user agent strings into ECS user_agent fields
// with ua-parser (the uap-core regexes, as the reference uses).
package useragent

import (
	"net/url"
	"strings"
	"sync"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/lru"
)

// Parsed is what a user agent string says, as ECS fields.
type Parsed struct {
	Name, Version                     string
	OSName, OSVersion, OSFull, Device string
}

// DefaultCacheSize is how many distinct agents Default remembers. A log
// has a few hundred at most; the bound only matters for a container that
// lives long on traffic with many.
const DefaultCacheSize = 20000

// Parser parses user agents, remembering recent ones in a bounded LRU
// cache: logs repeat the same few agents, and a uap lookup runs hundreds
// of regexes. It is safe for concurrent use.
type Parser struct {
	rules *rules
	// loadOnce, for a lazy parser (Default), reads the regexes on the
	// first agent parsed: a container whose logs carry no user agent (VPC
	// flows) never pays for them.
	loadOnce sync.Once
	lazy     bool
	// cache maps a raw agent (as Enrich reads it, trimmed) to what Enrich
	// writes for it. It only holds strings: a hit shares nothing mutable.
	cache *lru.Cache[entry]
}

// entry is the result for one raw agent string.
type entry struct {
	// decoded is the URL-decoded agent when the raw one held "%20" and
	// decoded cleanly (Enrich writes it back to .original).
	decoded    string
	wasEncoded bool
	Parsed
	// The Parsed fields boxed once as interface values (nil when empty),
	// so a hit writes them without an allocation each: a boxed string is
	// immutable, so documents may share it.
	name, version, osName, osVersion, osFull, device any
}

// box is s as an interface value, nil for "".
func box(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var (
	shared     *Parser
	sharedOnce sync.Once
)

// Default returns the process-wide parser, with a cache of
// DefaultCacheSize agents. Its regexes are read on the first agent it
// parses, not here, so a cold start (or a CLI run) whose logs have no
// user agent does not pay for reading them.
func Default() *Parser {
	sharedOnce.Do(func() {
		shared = &Parser{lazy: true, cache: lru.New[entry](DefaultCacheSize)}
	})
	return shared
}

// matcher returns the regexes, read first for a lazy parser. They are
// part of the binary and tested: failing to read them is a build defect.
func (p *Parser) matcher() *rules {
	if p.lazy {
		p.loadOnce.Do(func() {
			r, err := loadRules()
			if err != nil {
				panic(err)
			}
			p.rules = r
		})
	}
	return p.rules
}

// New builds a parser with the embedded uap-core regexes that caches up
// to cacheSize distinct agents (< 1: none).
func New(cacheSize int) (*Parser, error) {
	r, err := loadRules()
	if err != nil {
		return nil, err
	}
	return &Parser{rules: r, cache: lru.New[entry](cacheSize)}, nil
}

// CacheStats reports the use of the parser's cache.
func (p *Parser) CacheStats() lru.Stats { return p.cache.Stats() }

// Parse parses one user agent string.
func (p *Parser) Parse(s string) Parsed {
	if strings.Contains(s, "%20") {
		// The cache holds such agents decoded (see lookup): parse as is.
		return p.parse(s)
	}
	return p.lookup(s).Parsed
}

// lookup returns the entry for a raw agent, from the cache or computed
// (and then remembered).
func (p *Parser) lookup(raw string) entry {
	if e, ok := p.cache.Get(raw); ok {
		return e
	}
	// The parsed names are substrings of what uap parses: make that a
	// copy, so the cache never keeps a whole input buffer alive.
	s := strings.Clone(raw)
	var e entry
	if strings.Contains(s, "%20") {
		if u, err := url.QueryUnescape(s); err == nil {
			s, e.decoded, e.wasEncoded = u, u, true
		}
	}
	e.Parsed = p.parse(s)
	e.name, e.version, e.device = box(e.Name), box(e.Version), box(e.Device)
	e.osName, e.osVersion, e.osFull = box(e.OSName), box(e.OSVersion), box(e.OSFull)
	p.cache.Add(raw, e)
	return e
}

// parse runs uap on s, without the cache.
func (p *Parser) parse(s string) Parsed {
	var r Parsed
	c := p.matcher().parse(s)
	if c.UserAgent != nil {
		r.Name = c.UserAgent.Family
		r.Version = fullVersion(s, joinVersion(c.UserAgent.Major, c.UserAgent.Minor, c.UserAgent.Patch))
	}
	if c.Os != nil {
		r.OSName = c.Os.Family
		r.OSVersion = joinVersion(c.Os.Major, c.Os.Minor, c.Os.Patch, c.Os.PatchMinor)
		r.OSFull = r.OSName
		if r.OSVersion != "" {
			r.OSFull += " " + r.OSVersion
		}
	}
	if c.Device != nil {
		r.Device = c.Device.Family
	}
	return r
}

// fullVersion extends the version uap gives (three parts at most) with the
// parts that follow it in the agent itself: Chrome/95.0.4638.69 is
// 95.0.4638.69, not 95.0.4638. The version must appear as a whole token
// (after a non-digit, not followed by a digit).
func fullVersion(agent, v string) string {
	if strings.Count(v, ".") < 2 {
		return v
	}
	for from := 0; ; {
		i := strings.Index(agent[from:], v)
		if i < 0 {
			return v
		}
		i += from
		end := i + len(v)
		from = i + 1
		if i > 0 && (isDigit(agent[i-1]) || agent[i-1] == '.') || end < len(agent) && isDigit(agent[end]) {
			continue
		}
		for end+1 < len(agent) && agent[end] == '.' && isDigit(agent[end+1]) {
			end++
			for end < len(agent) && isDigit(agent[end]) {
				end++
			}
		}
		return agent[i:end]
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func joinVersion(parts ...string) string {
	var out []string
	for _, s := range parts {
		if s == "" {
			break
		}
		out = append(out, s)
	}
	return strings.Join(out, ".")
}

// Enrich fills <field>.name, .version, .os.* and .device.name from
// <field>.original (the first element when it is a list). URL-encoded
// agents (CloudFront writes %20 for spaces) are decoded first.
func (p *Parser) Enrich(d map[string]any, field string) {
	v, ok := doc.Get(d, field+".original")
	if !ok {
		return
	}
	if l, ok := v.([]any); ok && len(l) > 0 {
		v = l[0]
	}
	s, _ := v.(string)
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return
	}
	e := p.lookup(s)
	if e.wasEncoded {
		doc.Set(d, field+".original", e.decoded)
	}
	// What doc.Set(d, field+"."+k, v) would do for each non-empty value,
	// without building the paths: the objects on the way are made (or
	// replaced when not objects) on the first value written below them.
	// Every document gets its own objects; the values are boxed strings.
	var ua, os map[string]any
	obj := func() map[string]any {
		if ua == nil {
			ua = object(d, field)
		}
		return ua
	}
	osObj := func() map[string]any {
		if os == nil {
			os = child(obj(), "os")
		}
		return os
	}
	if e.name != nil {
		obj()["name"] = e.name
	}
	if e.version != nil {
		obj()["version"] = e.version
	}
	if e.osName != nil {
		osObj()["name"] = e.osName
	}
	if e.osVersion != nil {
		osObj()["version"] = e.osVersion
	}
	if e.osFull != nil {
		osObj()["full"] = e.osFull
	}
	if e.device != nil {
		child(obj(), "device")["name"] = e.device
	}
}

// object returns the object at a dotted path, making the missing ones
// (and replacing values that are not objects) as doc.Set does.
func object(d map[string]any, path string) map[string]any {
	cur := d
	for {
		part, rest, more := strings.Cut(path, ".")
		cur = child(cur, part)
		if !more {
			return cur
		}
		path = rest
	}
}

// child returns m[k] when it is an object, else a new object stored there.
func child(m map[string]any, k string) map[string]any {
	c, ok := m[k].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[k] = c
	}
	return c
}
