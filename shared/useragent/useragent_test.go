package useragent

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/siemloader/siem/shared/lru"

	"github.com/siemloader/siem/shared/doc"
)

func TestEnrich(t *testing.T) {
	cases := []struct {
		ua                                    any
		name, version, osName, osFull, device string
	}{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.83 Safari/537.36",
			"Chrome", "99.0.4844.83", "Mac OS X", "Mac OS X 10.15.7", "Mac"},
		// The full version, not uap's first three parts.
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
			"Edge", "120.0.2210.91", "Windows", "Windows 10", "Other"},
		{"Mozilla/5.0%20(iPhone;%20CPU%20iPhone%20OS%2017_3%20like%20Mac%20OS%20X)%20AppleWebKit/605.1.15%20(KHTML,%20like%20Gecko)%20Version/17.3%20Mobile/15E148%20Safari/604.1",
			"Mobile Safari", "17.3", "iOS", "iOS 17.3", "iPhone"},
		{[]any{"aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off command/s3.ls"},
			"aws-cli", "2.15.0", "Linux", "Linux 6.1.0", "Other"},
		{"curl/8.4.0", "curl", "8.4.0", "Other", "Other", "Other"},
	}
	p := Default()
	for _, c := range cases {
		d := map[string]any{"user_agent": map[string]any{"original": c.ua}}
		p.Enrich(d, "user_agent")
		ua := d["user_agent"].(map[string]any)
		os, _ := ua["os"].(map[string]any)
		dev, _ := ua["device"].(map[string]any)
		if ua["name"] != c.name || ua["version"] != c.version || os["name"] != c.osName || os["full"] != c.osFull || dev["name"] != c.device {
			t.Errorf("%v: %v", c.ua, ua)
		}
	}
	// "-" and missing agents are left alone.
	d := map[string]any{"user_agent": map[string]any{"original": "-"}}
	p.Enrich(d, "user_agent")
	if len(d["user_agent"].(map[string]any)) != 1 {
		t.Errorf("'-' parsed: %v", d)
	}
}

func BenchmarkParseCached(b *testing.B) {
	p := Default()
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	p.Parse(ua)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Parse(ua)
	}
}

// agents covers the shapes Enrich meets: browsers, SDKs, URL-encoded
// (CloudFront), lists, odd and unparseable strings.
var agents = []any{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.83 Safari/537.36",
	"Mozilla/5.0%20(iPhone;%20CPU%20iPhone%20OS%2017_3%20like%20Mac%20OS%20X)%20AppleWebKit/605.1.15%20(KHTML,%20like%20Gecko)%20Version/17.3%20Mobile/15E148%20Safari/604.1",
	"Mozilla/5.0%20(bad%zz%20escape)",
	"a+b%20c",
	[]any{"aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off command/s3.ls", "x"},
	"  curl/8.4.0  ",
	"curl/8.4.0",
	"aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7",
	"Googlebot/2.1 (+http://www.google.com/bot.html)",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
	"S3Console/0.4",
	"[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488]",
	"-",
	"",
	"%20",
	"zzzz",
	42,
}

// referenceEnrich is Enrich as it was before the cache: every field
// written with doc.Set, every agent parsed.
func referenceEnrich(p *Parser, d map[string]any, field string) {
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
	r := p.parse(s)
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

// docsFor builds the documents an agent is tried in: the usual field, a
// nested one, and ones whose os/device/user_agent values are not objects.
func docsFor(ua any) []map[string]any {
	return []map[string]any{
		{"user_agent": map[string]any{"original": ua}},
		{"user_agent": map[string]any{"original": ua, "os": "flat", "device": []any{1}, "name": "old"}},
		{"user_agent.original": ua, "user_agent": "not an object"},
		{"http": map[string]any{"ua": map[string]any{"original": ua}}},
	}
}

var fields = []string{"user_agent", "user_agent", "user_agent", "http.ua"}

func encode(t testing.TB, d map[string]any) string {
	b, err := doc.AppendJSON(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCacheHitEqualsMiss checks that Enrich writes the same bytes as the
// uncached reference on a miss, on a hit, and with the cache disabled.
func TestCacheHitEqualsMiss(t *testing.T) {
	cached := Default()
	uncached, err := New(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ua := range agents {
		for round := 0; round < 3; round++ { // miss, then hits
			want, got, gotOff := docsFor(ua), docsFor(ua), docsFor(ua)
			for i := range want {
				referenceEnrich(uncached, want[i], fields[i])
				cached.Enrich(got[i], fields[i])
				uncached.Enrich(gotOff[i], fields[i])
				w := encode(t, want[i])
				if g := encode(t, got[i]); g != w {
					t.Errorf("%q doc %d round %d:\n got %s\nwant %s", ua, i, round, g, w)
				}
				if g := encode(t, gotOff[i]); g != w {
					t.Errorf("%q doc %d uncached:\n got %s\nwant %s", ua, i, g, w)
				}
			}
		}
	}
	if st := cached.CacheStats(); st.Hits == 0 || st.Len == 0 {
		t.Errorf("cache unused: %+v", st)
	}
	if st := uncached.CacheStats(); st.Len != 0 {
		t.Errorf("disabled cache holds %d", st.Len)
	}
	// Parse agrees with the uncached parse, encoded or not.
	for _, ua := range agents {
		if s, ok := ua.(string); ok {
			if got, want := cached.Parse(s), uncached.parse(s); got != want {
				t.Errorf("Parse(%q) = %+v, want %+v", s, got, want)
			}
		}
	}
}

func TestCacheBound(t *testing.T) {
	p, err := New(50)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		ua := fmt.Sprintf("curl/%d.%d.0", i/10, i%10)
		d := map[string]any{"user_agent": map[string]any{"original": ua}}
		p.Enrich(d, "user_agent")
		if v := doc.GetString(d, "user_agent.version"); v != fmt.Sprintf("%d.%d.0", i/10, i%10) {
			t.Fatalf("%s: version %q", ua, v)
		}
	}
	st := p.CacheStats()
	if st.Len != 50 || st.Evictions != 250 || st.Misses != 300 {
		t.Errorf("stats %+v", st)
	}
}

// TestCopySafety: documents enriched from one cache entry share no object.
func TestCopySafety(t *testing.T) {
	p := Default()
	ua := agents[0].(string)
	a := map[string]any{"user_agent": map[string]any{"original": ua}}
	b := map[string]any{"user_agent": map[string]any{"original": ua}}
	p.Enrich(a, "user_agent")
	p.Enrich(b, "user_agent")
	before := encode(t, b)
	doc.Set(a, "user_agent.os.name", "changed")
	doc.Set(a, "user_agent.device.name", "changed")
	doc.Set(a, "user_agent.name", "changed")
	delete(a["user_agent"].(map[string]any), "version")
	if after := encode(t, b); after != before {
		t.Errorf("changing one document changed another:\n%s\n%s", before, after)
	}
	c := map[string]any{"user_agent": map[string]any{"original": ua}}
	p.Enrich(c, "user_agent")
	if got := encode(t, c); got != before {
		t.Errorf("changing a document changed the cache:\n%s\n%s", got, before)
	}
}

// TestConcurrent is meant for -race: goroutines enriching with one small
// parser (evicting all the time) all get the reference answers.
func TestConcurrent(t *testing.T) {
	p, err := New(4)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(agents))
	for i, ua := range agents {
		d := docsFor(ua)[0]
		referenceEnrich(p, d, "user_agent")
		want[i] = encode(t, d)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				i := (n*7 + g) % len(agents)
				d := docsFor(agents[i])[0]
				p.Enrich(d, "user_agent")
				if got := encode(t, d); got != want[i] {
					t.Errorf("%v: %s, want %s", agents[i], got, want[i])
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

var benchAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off command/s3.ls",
	"aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7",
	"Mozilla/5.0%20(iPhone;%20CPU%20iPhone%20OS%2017_3%20like%20Mac%20OS%20X)%20AppleWebKit/605.1.15%20(KHTML,%20like%20Gecko)%20Version/17.3%20Mobile/15E148%20Safari/604.1",
}

// BenchmarkEnrichRepeated is the common case: a log's few agents, over
// and over (cache hits), on fresh documents.
func BenchmarkEnrichRepeated(b *testing.B) {
	p := Default() // compiles the regexes: not timed
	for _, ua := range benchAgents {
		p.Enrich(map[string]any{"user_agent": map[string]any{"original": ua}}, "user_agent")
	}
	docs := make([]map[string]any, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(docs)
		if k == 0 {
			b.StopTimer()
			for j := range docs {
				docs[j] = map[string]any{"user_agent": map[string]any{"original": benchAgents[j%len(benchAgents)]}}
			}
			b.StartTimer()
		}
		p.Enrich(docs[k], "user_agent")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkEnrichDistinct is the worst case: every agent new (misses: the
// uap regexes run, and the entry is added, evicting once full).
func BenchmarkEnrichDistinct(b *testing.B) {
	p := Default()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := map[string]any{"user_agent": map[string]any{"original": benchAgents[i%3] + " build/" + strconv.Itoa(i)}}
		p.Enrich(d, "user_agent")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// FuzzEnrichMatchesReference: for any agent, in any of the document
// shapes, Enrich through the cache (twice: miss, then hit) writes what the
// uncached reference writes.
func FuzzEnrichMatchesReference(f *testing.F) {
	for _, ua := range agents {
		if s, ok := ua.(string); ok {
			f.Add(s)
		}
	}
	p := Default()
	ref, err := New(0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		for round := 0; round < 2; round++ {
			want, got := docsFor(ua), docsFor(ua)
			for i := range want {
				referenceEnrich(ref, want[i], fields[i])
				p.Enrich(got[i], fields[i])
				if g, w := encode(t, got[i]), encode(t, want[i]); g != w {
					t.Fatalf("%q doc %d round %d:\n got %s\nwant %s", ua, i, round, g, w)
				}
			}
		}
	})
}

// The shared parser compiles its regexes on the first agent it parses:
// a document without one leaves them uncompiled, and the lazy parser
// then answers as an eager one does.
func TestLazyParserCompilesOnFirstAgent(t *testing.T) {
	lazy := &Parser{lazy: true, cache: lru.New[entry](16)}
	lazy.Enrich(map[string]any{"source": map[string]any{"ip": "192.0.2.1"}}, "user_agent")
	if lazy.rules != nil {
		t.Fatal("regexes compiled for a document without a user agent")
	}
	eager, err := New(16)
	if err != nil {
		t.Fatal(err)
	}
	const agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	got, want := lazy.Parse(agent), eager.Parse(agent)
	if lazy.rules == nil || got != want || got.Name != "Chrome" {
		t.Errorf("lazy parser gave %+v, eager %+v", got, want)
	}
	if !Default().lazy {
		t.Errorf("Default is not lazy")
	}
}
