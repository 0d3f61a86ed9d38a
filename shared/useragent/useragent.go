// Package useragent parses user agent strings into ECS user_agent fields
// with ua-parser (the uap-core regexes, as the reference uses).
package useragent

import (
	"net/url"
	"strings"
	"sync"

	"github.com/ua-parser/uap-go/uaparser"

	"github.com/siemloader/siem/shared/doc"
)

// Parsed is what a user agent string says, as ECS fields.
type Parsed struct {
	Name, Version                     string
	OSName, OSVersion, OSFull, Device string
}

// Parser parses user agents, remembering recent ones: logs repeat the same
// few agents, and a uap lookup runs hundreds of regexes.
type Parser struct {
	uap *uaparser.Parser
	mu  sync.Mutex
	// cache holds the last results; it is reset when full (a bounded
	// memory, no LRU bookkeeping on the hot path).
	cache map[string]Parsed
	max   int
}

var (
	shared     *Parser
	sharedOnce sync.Once
)

// Default returns the process-wide parser (built on first use: loading
// the regexes takes a moment, so a container pays it once).
func Default() *Parser {
	sharedOnce.Do(func() {
		uap, err := uaparser.NewFromBytes(uaparser.DefinitionYaml)
		if err != nil {
			panic("useragent: embedded uap-core regexes: " + err.Error())
		}
		shared = &Parser{uap: uap, cache: map[string]Parsed{}, max: 10000}
	})
	return shared
}

// Parse parses one user agent string.
func (p *Parser) Parse(s string) Parsed {
	p.mu.Lock()
	r, ok := p.cache[s]
	p.mu.Unlock()
	if ok {
		return r
	}
	c := p.uap.Parse(s)
	if c.UserAgent != nil {
		r.Name = c.UserAgent.Family
		r.Version = joinVersion(c.UserAgent.Major, c.UserAgent.Minor, c.UserAgent.Patch)
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
	p.mu.Lock()
	if len(p.cache) >= p.max {
		p.cache = map[string]Parsed{}
	}
	p.cache[s] = r
	p.mu.Unlock()
	return r
}

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
	if strings.Contains(s, "%20") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
			doc.Set(d, field+".original", s)
		}
	}
	r := p.Parse(s)
	set := func(k, v string) {
		if v != "" {
			doc.Set(d, field+"."+k, v)
		}
	}
	set("name", r.Name)
	set("version", r.Version)
	set("os.name", r.OSName)
	set("os.version", r.OSVersion)
	set("os.full", r.OSFull)
	set("device.name", r.Device)
}
