package ioc

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/doc"
)

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// buildAll builds a database from every test feed, checking what each
// parser read.
func buildAll(t testing.TB) *DB {
	t.Helper()
	b := NewBuilder()
	check := func(name string, st Stats, err error, added, skipped int) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Added != added || st.Skipped != skipped {
			t.Errorf("%s: %+v, want %d added, %d skipped", name, st, added, skipped)
		}
	}
	st, err := b.ParseTor(open(t, "tor_exit-addresses.txt"))
	check("tor", st, err, 44, 0) // 44 ExitAddress lines
	st, err = b.ParseSTIX(open(t, "stix21_apt1.json"), "custom", "stix21_apt1.json")
	check("stix 2.1 apt1", st, err, 7, 5)
	st, err = b.ParseSTIX(open(t, "stix21_poisonivy.json"), "custom", "stix21_poisonivy.json")
	check("stix 2.1 poisonivy", st, err, 43, 2) // 25 indicators, 65 values in OR patterns (43 distinct), 2 hash-only
	st, err = b.ParseOTX(open(t, "otx_pulse.json"))
	check("otx", st, err, 5, 8) // 5 hostnames, 8 file hashes
	st, err = b.ParseFeodo(open(t, "feodo_ipblocklist_own.json"), "2024-03-04T00:00:00Z")
	check("feodo json", st, err, 2, 0)
	st, err = b.ParseFeodo(open(t, "feodo_ipblocklist_own.csv"), "2024-03-04T00:00:00Z")
	check("feodo csv", st, err, 1, 1)
	st, err = b.ParseTXT(open(t, "txt_maltrail_cobalt.txt"), Indicator{Provider: "maltrail", Name: "cobalt"})
	check("maltrail", st, err, 131, 3) // 3 bare paths skipped
	st, err = b.ParseTXT(open(t, "own_list.txt"), Indicator{Provider: "custom", Name: "own_list.txt"})
	check("own list", st, err, 7, 2)
	return Open(b.Build(time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)))
}

func TestLookups(t *testing.T) {
	db := buildAll(t)
	ip := func(s string) []*Indicator { return db.LookupIP(netip.MustParseAddr(s)) }
	if got := ip("162.247.72.201"); len(got) != 1 || got[0].Provider != ProviderTor || got[0].Reference != "https://metrics.torproject.org/rs.html#details/0011BD2485AD45D984EC4159C88FC066E5E3300E" || got[0].LastSeen != "2017-07-17T14:03:15Z" {
		t.Errorf("Tor exit: %+v", got)
	}
	// APT1's 223.166.0.0/15 holds 223.167.255.1, not 223.168.0.1.
	if got := ip("223.167.255.1"); len(got) != 1 || got[0].Value != "223.166.0.0/15" || !strings.HasPrefix(got[0].Name, "stix21_apt1.json: ") || got[0].Provider != "custom" {
		t.Errorf("APT1 network: %+v", got)
	}
	if got := ip("223.168.0.1"); len(got) != 0 {
		t.Errorf("outside the network: %+v", got)
	}
	if got := ip("::ffff:45.61.136.200"); len(got) != 1 || got[0].Name != "QakBot" || got[0].FirstSeen != "2024-01-10T08:15:00Z" || got[0].LastSeen != "2024-03-01T00:00:00Z" {
		t.Errorf("Feodo (IPv4-mapped query): %+v", got)
	}
	if got := ip("104.31.255.255"); len(got) != 1 || got[0].Value != "104.16.0.0/12" {
		t.Errorf("network with host bits: %+v", got)
	}
	if got := ip("2606:4700:4700::1111"); len(got) != 1 || got[0].Type != TypeIPv6 {
		t.Errorf("IPv6: %+v", got)
	}
	if got := ip("172.104.242.174"); len(got) != 1 || got[0].Provider != ProviderBuiltin {
		t.Errorf("built-in TEST range: %+v", got)
	}
	if got := db.LookupDomain("HugeSoft.ORG."); len(got) != 1 || got[0].Type != TypeDomain {
		t.Errorf("APT1 domain: %+v", got)
	}
	if got := db.LookupDomain("webserver.servehttp.com"); len(got) != 1 || got[0].Provider != ProviderOTX {
		t.Errorf("OTX hostname: %+v", got)
	}
	if got := db.LookupDomain("evil-domain.example"); len(got) != 1 {
		t.Errorf("own domain: %+v", got)
	}
	if got := db.LookupURL("http://phish.example/login"); len(got) != 1 {
		t.Errorf("own URL: %+v", got)
	}
	if got := ip("185.220.101.4"); len(got) != 1 {
		t.Errorf("address with a port: %+v", got)
	}
}

func TestStoreRoundTrip(t *testing.T) {
	db := buildAll(t)
	var buf bytes.Buffer
	if err := Write(&buf, db.File); err != nil {
		t.Fatal(err)
	}
	back, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != db.Version || back.Len() != db.Len() || !reflect.DeepEqual(back.Sources, db.Sources) {
		t.Errorf("round trip: %s %d %v vs %s %d %v", back.Version, back.Len(), back.Sources, db.Version, db.Len(), db.Sources)
	}
	again := buildAll(t)
	if again.Version != db.Version {
		t.Errorf("same feeds, version %s then %s", db.Version, again.Version)
	}
	if _, err := Load(bytes.NewReader([]byte("not gzip"))); err == nil {
		t.Error("loaded junk")
	}
}

func TestEnrich(t *testing.T) {
	db := buildAll(t)
	d := map[string]any{
		"source":      map[string]any{"ip": "162.247.72.201"},
		"destination": map[string]any{"ip": "10.0.0.5"},
		"related":     map[string]any{"ip": []any{"10.0.0.5", "162.247.72.201", "45.61.136.200"}},
		"dns":         map[string]any{"question": map[string]any{"name": "hugesoft.org"}},
		"url":         map[string]any{"full": "http://phish.example/login"},
		"client":      map[string]any{"ip": "172.104.242.173"},
	}
	db.Enrich(d, []string{"client.ip"}, nil)
	th, ok := d["threat"].(map[string]any)
	if !ok {
		t.Fatalf("no threat fields: %v", d)
	}
	enr := th["enrichments"].([]any)
	if len(enr) != 5 {
		t.Fatalf("%d enrichments: %v", len(enr), enr)
	}
	first := enr[0].(map[string]any)
	ind, m := first["indicator"].(map[string]any), first["matched"].(map[string]any)
	if ind["provider"] != ProviderTor || ind["ip"] != "162.247.72.201" || m["atomic"] != "162.247.72.201" || !reflect.DeepEqual(m["field"], []any{"source.ip", "related.ip"}) {
		t.Errorf("Tor enrichment: %v", first)
	}
	want := map[string]any{
		"providers":  []any{ProviderFeodo, ProviderBuiltin, "custom", ProviderTor},
		"types":      []any{TypeDomain, TypeIPv4, TypeURL},
		"indicators": []any{"162.247.72.201", "172.104.242.173", "45.61.136.200", "http://phish.example/login", "hugesoft.org"},
	}
	matched := th["matched"].(map[string]any)
	for k, v := range want {
		if !reflect.DeepEqual(matched[k], v) {
			t.Errorf("threat.matched.%s = %v, want %v", k, matched[k], v)
		}
	}
	// Private and documentation addresses are never looked up.
	quiet := map[string]any{"source": map[string]any{"ip": "192.168.1.1"}, "destination": map[string]any{"ip": "203.0.113.66"}}
	db.Enrich(quiet, nil, nil)
	if quiet["threat"] != nil {
		t.Errorf("private/documentation addresses matched: %v", quiet["threat"])
	}
}

func BenchmarkLookupIP(b *testing.B) {
	db := buildAll(b)
	addrs := []netip.Addr{netip.MustParseAddr("162.247.72.201"), netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("2001:4860::1")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.LookupIP(addrs[i%len(addrs)])
	}
}

func BenchmarkEnrichNoMatch(b *testing.B) {
	db := buildAll(b)
	d := map[string]any{"source": map[string]any{"ip": "8.8.8.8"}, "destination": map[string]any{"ip": "1.1.1.1"}, "related": map[string]any{"ip": []any{"8.8.8.8", "1.1.1.1"}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.Enrich(d, nil, nil)
	}
}

// The container reloads the database when the marker's version changes,
// and keeps its copy when a refresh fails.
func TestSourceRefresh(t *testing.T) {
	ctx := context.Background()
	store := blobtest.NewMemory()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &Source{Store: store, Bucket: "geo", Every: time.Minute, Now: func() time.Time { return now }}
	if src.DB(ctx) != nil {
		t.Fatal("a database before any was built")
	}
	put := func(f File) {
		var buf bytes.Buffer
		Write(&buf, f)
		store.Put(ctx, "geo", DBKey, buf.Bytes())
		store.Put(ctx, "geo", VersionKey, []byte(f.Version+"\n"))
	}
	// A document checked against each version: 8.8.4.4 is only in v2.
	probe := func(db *DB) bool {
		d := map[string]any{"source": map[string]any{"ip": "8.8.4.4"}}
		db.Enrich(d, nil, nil)
		return d["threat"] != nil
	}
	b := NewBuilder()
	v1 := b.Build(now)
	put(v1)
	if src.DB(ctx) != nil {
		t.Error("checked again before Every passed")
	}
	now = now.Add(2 * time.Minute)
	if db := src.DB(ctx); db == nil || db.Version != v1.Version {
		t.Fatalf("not loaded: %v", db)
	} else if first, cached := probe(db), probe(db); first || cached { // the second one from the cache
		t.Fatal("8.8.4.4 matched in v1")
	}
	b.Add(Indicator{Type: TypeIPv4, Value: "8.8.4.4", Provider: "custom"})
	v2 := b.Build(now)
	put(v2)
	store.Put(ctx, "geo", DBKey, []byte("corrupt"))
	now = now.Add(2 * time.Minute)
	if db := src.DB(ctx); db == nil || db.Version != v1.Version {
		t.Errorf("a corrupt database replaced the good copy: %v", db)
	} else if probe(db) {
		t.Error("8.8.4.4 matched in v1")
	}
	put(v2)
	now = now.Add(2 * time.Minute)
	if db := src.DB(ctx); db == nil || db.Version != v2.Version || len(db.LookupIP(netip.MustParseAddr("8.8.4.4"))) != 1 {
		t.Errorf("new version not loaded: %v", db)
	} else if first, cached := probe(db), probe(db); !first || !cached {
		// The reload must not answer from v1's cache.
		t.Error("8.8.4.4 not matched in v2")
	}
}

// cacheDocs are documents with matches in every kind of field, spellings
// of one address or domain, and values that match nothing.
func cacheDocs() []map[string]any {
	return []map[string]any{
		{
			"source":      map[string]any{"ip": "162.247.72.201"},
			"destination": map[string]any{"ip": "10.0.0.5"},
			"related":     map[string]any{"ip": []any{"10.0.0.5", "162.247.72.201", "45.61.136.200", "::ffff:162.247.72.201"}},
			"dns":         map[string]any{"question": map[string]any{"name": "hugesoft.org"}},
			"url":         map[string]any{"full": "http://phish.example/login", "domain": "HugeSoft.org."},
			"client":      map[string]any{"ip": "172.104.242.173"},
		},
		{"source": map[string]any{"ip": "::ffff:162.247.72.201"}, "client": map[string]any{"ip": []any{"172.104.242.174", "", 7, "nope"}}},
		{"source": map[string]any{"ip": "8.8.8.8"}, "dns": map[string]any{"question": map[string]any{"name": " hugesoft.org "}}},
		{"source": map[string]any{"ip": "192.168.1.1"}, "destination": map[string]any{"ip": "203.0.113.66"}},
		{"related": map[string]any{"ip": "not an address"}, "url": map[string]any{"domain": "example.com"}},
		{"dns.question.name": "hugesoft.org", "source.ip": "45.61.136.200"},
		{},
	}
}

// TestCacheHitEqualsMiss: the bytes written on a cache hit are those of a
// database with no cache.
func TestCacheHitEqualsMiss(t *testing.T) {
	cached := buildAll(t)
	uncached := Open(cached.File, CacheSize(0))
	for round := range 3 {
		want, got := cacheDocs(), cacheDocs()
		for i := range want {
			uncached.Enrich(want[i], []string{"client.ip"}, nil)
			cached.Enrich(got[i], []string{"client.ip"}, nil)
			w, err := doc.AppendJSON(nil, want[i])
			if err != nil {
				t.Fatal(err)
			}
			g, err := doc.AppendJSON(nil, got[i])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(g, w) {
				t.Errorf("round %d doc %d:\n got %s\nwant %s", round, i, g, w)
			}
		}
		if round == 0 {
			if th, _ := want[0]["threat"].(map[string]any); th == nil || len(th["enrichments"].([]any)) != 5 {
				t.Fatalf("reference document not matched: %v", want[0]["threat"])
			}
		}
	}
	ips, domains := cached.CacheStats()
	if ips.Hits == 0 || domains.Hits == 0 || ips.Len == 0 || domains.Len == 0 {
		t.Errorf("caches unused: %+v %+v", ips, domains)
	}
	if ips, domains := uncached.CacheStats(); ips.Len != 0 || domains.Len != 0 {
		t.Error("disabled caches hold entries")
	}
}

func TestCacheBound(t *testing.T) {
	db := Open(buildAll(t).File, CacheSize(10))
	for i := 0; i < 100; i++ {
		d := map[string]any{"source": map[string]any{"ip": "8.8.8." + strconv.Itoa(i)}, "url": map[string]any{"domain": strconv.Itoa(i) + ".example.com"}}
		db.Enrich(d, nil, nil)
	}
	ips, domains := db.CacheStats()
	if ips.Len != 10 || ips.Evictions != 90 || domains.Len != 10 || domains.Evictions != 90 {
		t.Errorf("stats %+v %+v", ips, domains)
	}
	d := map[string]any{"source": map[string]any{"ip": "162.247.72.201"}}
	db.Enrich(d, nil, nil)
	if d["threat"] == nil {
		t.Error("no match after evictions")
	}
}

// TestCopySafety: documents enriched from one cache entry share nothing
// a later step could change.
func TestCopySafety(t *testing.T) {
	db := buildAll(t)
	a, b, c := cacheDocs()[0], cacheDocs()[0], cacheDocs()[0]
	db.Enrich(a, []string{"client.ip"}, nil)
	db.Enrich(b, []string{"client.ip"}, nil)
	before, _ := doc.AppendJSON(nil, b)
	th := a["threat"].(map[string]any)
	for _, e := range th["enrichments"].([]any) {
		e := e.(map[string]any)
		e["indicator"].(map[string]any)["provider"] = "changed"
		m := e["matched"].(map[string]any)
		m["field"].([]any)[0] = "changed"
		m["atomic"] = "changed"
	}
	for _, l := range th["matched"].(map[string]any) {
		l.([]any)[0] = "changed"
	}
	th["enrichments"].([]any)[0] = nil
	if after, _ := doc.AppendJSON(nil, b); !bytes.Equal(after, before) {
		t.Errorf("changing one document changed another:\n%s\n%s", before, after)
	}
	db.Enrich(c, []string{"client.ip"}, nil)
	if got, _ := doc.AppendJSON(nil, c); !bytes.Equal(got, before) {
		t.Errorf("changing a document changed the cache:\n%s\n%s", got, before)
	}
}

// TestConcurrentEnrich is meant for -race, with caches small enough to
// evict all the time.
func TestConcurrentEnrich(t *testing.T) {
	db := Open(buildAll(t).File, CacheSize(3))
	var want [][]byte
	for _, d := range cacheDocs() {
		db.Enrich(d, []string{"client.ip"}, nil)
		b, _ := doc.AppendJSON(nil, d)
		want = append(want, b)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; n < 300; n++ {
				i := (n + g) % len(want)
				d := cacheDocs()[i]
				db.Enrich(d, []string{"client.ip"}, nil)
				if b, _ := doc.AppendJSON(nil, d); !bytes.Equal(b, want[i]) {
					t.Errorf("doc %d: %s, want %s", i, b, want[i])
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// BenchmarkEnrichRepeated: a log's addresses and domains recur (cache
// hits); fresh documents, most matching nothing.
func BenchmarkEnrichRepeated(b *testing.B) {
	db := buildAll(b)
	addrs := []string{"8.8.8.8", "1.1.1.1", "52.94.133.131", "162.247.72.201", "10.0.0.5", "54.239.28.85"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := map[string]any{"source": map[string]any{"ip": addrs[i%len(addrs)]}, "destination": map[string]any{"ip": addrs[(i+1)%len(addrs)]},
			"url": map[string]any{"domain": "s3.amazonaws.com"}}
		db.Enrich(d, nil, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkEnrichDistinct: every address and domain new (cache misses,
// evictions once full).
func BenchmarkEnrichDistinct(b *testing.B) {
	db := buildAll(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := strconv.Itoa(i)
		d := map[string]any{"source": map[string]any{"ip": "11." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)},
			"url": map[string]any{"domain": n + ".example.com"}}
		db.Enrich(d, nil, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkSourceDB is the per-document cost of asking a Source for the
// current database between version checks, from parallel goroutines.
func BenchmarkSourceDB(b *testing.B) {
	ctx := context.Background()
	store := blobtest.NewMemory()
	var buf bytes.Buffer
	f := NewBuilder().Build(time.Now())
	Write(&buf, f)
	store.Put(ctx, "geo", DBKey, buf.Bytes())
	store.Put(ctx, "geo", VersionKey, []byte(f.Version))
	src := &Source{Store: store, Bucket: "geo"}
	if src.DB(ctx) == nil {
		b.Fatal("not loaded")
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if src.DB(ctx) == nil {
				b.Error("lost")
			}
		}
	})
}
