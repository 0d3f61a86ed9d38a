package useragent

import (
	"bufio"
	"compress/gzip"
	"os"
	"regexp"
	"sync"
	"testing"

	"github.com/ua-parser/uap-go/uaparser"
)

// uapAgents reads uap-core's test agents (testdata/README.md), every
// step-th of them.
func uapAgents(t testing.TB, step int) []string {
	f, err := os.Open("testdata/uap-core-agents.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(z)
	for i := 0; sc.Scan(); i++ {
		if i%step == 0 {
			out = append(out, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The gated rules give what uap-go's own parser gives, for a sixth of
// uap-core's test agents and this package's samples. (All 17,816 agree;
// uap-go takes ~1 ms an agent, too long to run each time.)
func TestRulesMatchUapGo(t *testing.T) {
	step := 6
	if testing.Short() {
		step = 40
	}
	lines := uapAgents(t, step)
	for _, a := range agents {
		if s, ok := a.(string); ok {
			lines = append(lines, s)
		}
	}
	lines = append(lines, "", "AWS Internal", "aws-sdk-go/1.44.157 (go1.19.3; linux; amd64)", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) \u212aelvin Chrome/120.0.0.0 Mobile")
	ref, err := uaparser.NewFromBytes(uaparser.DefinitionYaml)
	if err != nil {
		t.Fatal(err)
	}
	r, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, l := range lines {
		want, got := ref.Parse(l), r.parse(l)
		if *got.UserAgent != *want.UserAgent || *got.Os != *want.Os || *got.Device != *want.Device {
			bad++
			if bad <= 10 {
				t.Errorf("%q:\n got %+v %+v %+v\nwant %+v %+v %+v", l, *got.UserAgent, *got.Os, *got.Device, *want.UserAgent, *want.Os, *want.Device)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d agents differ", bad, len(lines))
	}
	t.Logf("%d agents agree", len(lines))
}

// A gate never closes on an agent its regex matches: checked regex by
// regex, for every rule and a sample of uap-core's agents.
func TestGatesAreSound(t *testing.T) {
	step := 10
	if testing.Short() {
		step = 60
	}
	lines := uapAgents(t, step)
	r, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	gated := 0
	for _, list := range [][]gate{r.ua, r.os, r.device} {
		for i := range list {
			g := &list[i]
			if g.lits == nil {
				continue
			}
			gated++
			re := regexp.MustCompile(g.expr)
			for _, l := range lines {
				lower, ok := lowerASCII(l)
				if !ok || containsAny(lower, g.lits) {
					continue
				}
				if re.MatchString(l) {
					t.Errorf("%s: gate %q closed on %q, which it matches", g.expr, g.lits, l)
				}
			}
		}
	}
	total := len(r.ua) + len(r.os) + len(r.device)
	// Most of uap-core's regexes carry a literal; far fewer would mean
	// the analysis broke and the gates save nothing.
	if gated < total*3/4 {
		t.Errorf("only %d of %d regexes gated", gated, total)
	}
	t.Logf("%d of %d regexes gated, %d agents", gated, total, len(lines))
}

func TestRequiredLiterals(t *testing.T) {
	cases := []struct {
		expr string
		want []string // nil: none known
	}{
		{`(Firefox)/(\d+)`, []string{"firefox"}},
		{`(?i)(Kindle|Silk)`, []string{"kindle", "silk"}},
		{`(?:Chrome|CriOS)/(\d+)`, []string{"hrome", "rios"}}, // C(?:hrome|riOS)/ once parsed
		{`(\w+)/(\d+)`, []string{"/"}},
		{`(\w+) (\d+)`, []string{" "}},
		{`(\w+)(\d+)`, nil},
		{`(?:Pixel)?(\d+)`, nil},
		{`(HTC|)`, nil},
		{`Opera Mini(?:/att|)/?(\d+)`, []string{"opera mini"}},
	}
	for _, c := range cases {
		var g gate
		if err := g.init("", c.expr); err != nil {
			t.Fatal(err)
		}
		if !sameSet(g.lits, c.want) {
			t.Errorf("%s: literals %q, want %q", c.expr, g.lits, c.want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}

// BenchmarkParseUncached parses distinct agents with no cache: what each
// new agent costs, gated (rules) and through uap-go's parser.
func BenchmarkParseUncached(b *testing.B) {
	lines := uapAgents(b, 50)
	r, err := loadRules()
	if err != nil {
		b.Fatal(err)
	}
	// A one-entry cache: consecutive agents differ, so none is a hit.
	ref, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rules", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			r.parse(lines[i%len(lines)])
		}
	})
	b.Run("uap-go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ref.Parse(lines[i%len(lines)])
		}
	})
}

// Goroutines that meet agents first at once compile regexes at once: each
// regex is compiled once (its gate's Once) and every answer is the one a
// lone parser gives. Run under -race by make test.
func TestRulesConcurrentFirstUse(t *testing.T) {
	lines := uapAgents(t, 60)
	alone, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]uaparser.Client, len(lines))
	for i, l := range lines {
		want[i] = *alone.parse(l)
	}
	shared, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := range lines {
				i := (n + g*len(lines)/4) % len(lines)
				got := shared.parse(lines[i])
				if *got.UserAgent != *want[i].UserAgent || *got.Os != *want[i].Os || *got.Device != *want[i].Device {
					t.Errorf("%q: got %+v %+v %+v", lines[i], *got.UserAgent, *got.Os, *got.Device)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
