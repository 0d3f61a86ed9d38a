package useragent

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/ua-parser/uap-go/uaparser"
	"gopkg.in/yaml.v3"
)

// rules runs uap-core's three regex lists the way uap-go's Parser does
// (in order; the first match wins; "Other" when none does), with two
// savings that leave every result as it was:
//   - a regex is skipped when the agent holds none of the literals one of
//     which every match of it contains. Most of uap-core's ~1,200 regexes
//     name a browser, OS or device; an AWS SDK agent ran through nearly
//     all of them, ~1 ms per distinct agent.
//   - a regex is compiled the first time an agent gets past its literals,
//     so the ones no log needs are never compiled (compiling all took
//     ~0.1 s of every cold start).
//
// The uap-go entries do the matching and expansion (their Match methods),
// with the replacements uap-go defaults.
type rules struct {
	defs           uaparser.RegexDefinitions
	ua, os, device []gate
}

// gate is what a regex needs before it runs: an agent holding one of
// lits, and the regex compiled (once).
type gate struct {
	// lits are lower-case ASCII; nil when the regex has no such set.
	lits []string
	expr string // with its flags, as uap-go compiles it
	once sync.Once
}

// loadRules reads the embedded uap-core definitions.
func loadRules() (*rules, error) {
	r := &rules{}
	if err := yaml.Unmarshal(uaparser.DefinitionYaml, &r.defs); err != nil {
		return nil, fmt.Errorf("useragent: embedded uap-core regexes: %w", err)
	}
	var err error
	add := func(g *gate, flags, expr string) {
		if e := g.init(flags, expr); e != nil && err == nil {
			err = e
		}
	}
	r.ua = make([]gate, len(r.defs.UA))
	for i, p := range r.defs.UA {
		p.FamilyReplacement = orDefault(p.FamilyReplacement, "$1")
		p.V1Replacement = orDefault(p.V1Replacement, "$2")
		p.V2Replacement = orDefault(p.V2Replacement, "$3")
		p.V3Replacement = orDefault(p.V3Replacement, "$4")
		add(&r.ua[i], p.Flags, p.Expr)
	}
	r.os = make([]gate, len(r.defs.OS))
	for i, p := range r.defs.OS {
		p.OSReplacement = orDefault(p.OSReplacement, "$1")
		p.V1Replacement = orDefault(p.V1Replacement, "$2")
		p.V2Replacement = orDefault(p.V2Replacement, "$3")
		p.V3Replacement = orDefault(p.V3Replacement, "$4")
		p.V4Replacement = orDefault(p.V4Replacement, "$5")
		add(&r.os[i], p.Flags, p.Expr)
	}
	r.device = make([]gate, len(r.defs.Device))
	for i, p := range r.defs.Device {
		p.DeviceReplacement = orDefault(p.DeviceReplacement, "$1")
		p.ModelReplacement = orDefault(p.ModelReplacement, "$1")
		add(&r.device[i], p.Flags, p.Expr)
	}
	if err != nil {
		return nil, fmt.Errorf("useragent: embedded uap-core regexes: %w", err)
	}
	return r, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// init parses a regex (not compiling it) for its literals.
func (g *gate) init(flags, expr string) error {
	if flags != "" {
		expr = "(?" + flags + ")" + expr
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return err
	}
	g.expr = expr
	if lits, ok := required(re); ok {
		g.lits = lits
	}
	return nil
}

// open reports whether the regex may match an agent whose lower-cased
// form is lower (gated false: the agent is not ASCII, try every regex),
// and compiles it into *reg the first time it may.
func (g *gate) open(lower string, gated bool, reg **regexp.Regexp) bool {
	if gated && g.lits != nil && !containsAny(lower, g.lits) {
		return false
	}
	g.once.Do(func() { *reg = regexp.MustCompile(g.expr) })
	return true
}

func containsAny(s string, lits []string) bool {
	for _, l := range lits {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

// maxLits bounds a literal set: an alternation of more names than this
// is cheaper to leave to the regex.
const maxLits = 256

// required returns lower-cased ASCII strings one of which every match of
// re contains, or false when it knows none. Lower-casing makes them
// hold for case-insensitive regexes too; an agent that is not ASCII is
// never gated (case folding maps some non-ASCII letters, such as the
// Kelvin sign, onto ASCII ones).
func required(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if !isASCII(s) {
			return nil, false
		}
		return []string{strings.ToLower(s)}, true
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		// Every part of a concatenation is in every match: keep the part
		// whose shortest literal is the longest.
		var best []string
		for _, sub := range re.Sub {
			if l, ok := required(sub); ok && (best == nil || shortest(l) > shortest(best)) {
				best = l
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			l, ok := required(sub)
			if !ok || len(all)+len(l) > maxLits {
				return nil, false
			}
			all = append(all, l...)
		}
		return all, true
	}
	return nil, false
}

func shortest(lits []string) int {
	n := -1
	for _, l := range lits {
		if n < 0 || len(l) < n {
			n = len(l)
		}
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lowerASCII returns s lower-cased, and false when s is not ASCII.
func lowerASCII(s string) (string, bool) {
	if !isASCII(s) {
		return "", false
	}
	return strings.ToLower(s), true
}

// parse matches line against the three lists as uap-go's Parser.Parse
// does.
func (r *rules) parse(line string) *uaparser.Client {
	lower, gated := lowerASCII(line)
	c := &uaparser.Client{UserAgent: new(uaparser.UserAgent), Os: new(uaparser.Os), Device: new(uaparser.Device)}
	ua, os, dev := r.defs.UA, r.defs.OS, r.defs.Device
	first(r.ua, lower, gated, &c.UserAgent.Family,
		func(i int) **regexp.Regexp { return &ua[i].Reg }, func(i int) { ua[i].Match(line, c.UserAgent) })
	first(r.os, lower, gated, &c.Os.Family,
		func(i int) **regexp.Regexp { return &os[i].Reg }, func(i int) { os[i].Match(line, c.Os) })
	first(r.device, lower, gated, &c.Device.Family,
		func(i int) **regexp.Regexp { return &dev[i].Reg }, func(i int) { dev[i].Match(line, c.Device) })
	return c
}

// first runs a list's regexes in order, those whose gate opens, until one
// sets family (uap-go's loop: the first match wins), and sets "Other"
// when none does. reg gives the i-th entry's regex, match runs it.
func first(gates []gate, lower string, gated bool, family *string, reg func(int) **regexp.Regexp, match func(int)) {
	for i := range gates {
		if gates[i].open(lower, gated, reg(i)) {
			if match(i); *family != "" {
				return
			}
		}
	}
	*family = "Other"
}
