package geoip

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/doc"
)

// MaxMind's official test databases; see testdata/README.md. Expected
// values below were checked against source-data/GeoLite2-{City,ASN}-Test.json
// of maxmind/MaxMind-DB at the same commit.
const (
	cityDB = "testdata/GeoLite2-City-Test.mmdb"
	asnDB  = "testdata/GeoLite2-ASN-Test.mmdb"
)

type obj = map[string]any

func loc(lat, lon float64) obj { return obj{"lat": lat, "lon": lon} }

var (
	london = obj{"city_name": "London", "continent_name": "Europe", "country_iso_code": "GB",
		"country_name": "United Kingdom", "region_name": "England", "region_iso_code": "GB-ENG",
		"location": loc(51.5142, -0.0931)}
	milton = obj{"city_name": "Milton", "continent_name": "North America", "country_iso_code": "US",
		"country_name": "United States", "region_name": "Washington", "region_iso_code": "US-WA",
		"location": loc(47.2513, -122.3149)}
	linkoping = obj{"city_name": "Linköping", "continent_name": "Europe", "country_iso_code": "SE",
		"country_name": "Sweden", "region_name": "Östergötland County", "region_iso_code": "SE-E",
		"location": loc(58.4167, 15.6167)}
	bredband2 = obj{"number": int64(29518), "organization": obj{"name": "Bredband2 AB"}}
	sanDiego  = obj{"city_name": "San Diego", "continent_name": "North America", "country_iso_code": "US",
		"country_name": "United States", "region_name": "California", "region_iso_code": "US-CA",
		"location": loc(32.7203, -117.1552)}
)

type want struct {
	ip      string
	geo, as obj // nil: must be absent
}

var known = []want{
	{"81.2.69.142", london, nil},
	{"216.160.83.56", milton, obj{"number": int64(209)}}, // ASN record has no organization
	{"89.160.20.112", linkoping, bredband2},
	// Two subdivisions (England, West Berkshire): the first one is used.
	{"2.125.160.216", obj{"city_name": "Boxford", "continent_name": "Europe", "country_iso_code": "GB",
		"country_name": "United Kingdom", "region_name": "England", "region_iso_code": "GB-ENG",
		"location": loc(51.75, -1.25)}, nil},
	{"175.16.199.1", obj{"city_name": "Changchun", "continent_name": "Asia", "country_iso_code": "CN",
		"country_name": "China", "region_name": "Jilin Sheng", "region_iso_code": "CN-22",
		"location": loc(43.88, 125.3228)}, nil},
	// Country-level record: no city, no subdivision.
	{"67.43.156.1", obj{"continent_name": "Asia", "country_iso_code": "BT", "country_name": "Bhutan",
		"location": loc(27.5, 90.5)}, obj{"number": int64(35908)}},
	{"1.128.0.1", nil, obj{"number": int64(1221), "organization": obj{"name": "Telstra Pty Ltd"}}},
	{"12.81.92.1", nil, obj{"number": int64(7018), "organization": obj{"name": "AT&T Services"}}},
	{"149.101.100.1", nil, obj{"number": int64(6167), "organization": obj{"name": "CELLCO-PART"}}},
	// IPv6.
	{"2001:480::1", sanDiego, nil},
	{"2001:218::1", obj{"continent_name": "Asia", "country_iso_code": "JP", "country_name": "Japan",
		"location": loc(35.68536, 139.75309)}, nil},
	{"2600:6000::1", nil, obj{"number": int64(237), "organization": obj{"name": "Merit Network Inc."}}},
	// Spellings of the same addresses.
	{"::ffff:81.2.69.142", london, nil},
	{"2001:480::1%eth0", sanDiego, nil},
	// Public but not in the test databases.
	{"8.8.8.8", nil, nil},
	{"2001:4860:4860::8888", nil, nil},
}

func open(t testing.TB) *DB {
	t.Helper()
	db, err := Open(cityDB, asnDB)
	if err != nil {
		t.Fatal(err)
	}
	if c, a := db.Enabled(); !c || !a {
		t.Fatalf("Enabled() = %v, %v", c, a)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// check enriches {"source": {"ip": ip, "port": 443}} and compares the whole
// source object, so extra or missing members and wrong Go types all fail.
func check(t *testing.T, db *DB, ip string, geo, as obj) {
	t.Helper()
	src := obj{"ip": ip, "port": 443}
	doc := obj{"source": src, "message": "m"}
	db.Enrich(doc, []string{"source"})
	exp := obj{"ip": ip, "port": 443}
	if geo != nil {
		exp["geo"] = geo
	}
	if as != nil {
		exp["as"] = as
	}
	if !reflect.DeepEqual(src, exp) {
		t.Errorf("%s:\n got %s\nwant %s", ip, js(src), js(exp))
	}
	if len(doc) != 2 || doc["message"] != "m" {
		t.Errorf("%s: document changed outside source: %s", ip, js(doc))
	}
}

func TestEnrichKnownAddresses(t *testing.T) {
	db := open(t)
	for _, w := range known {
		check(t, db, w.ip, w.geo, w.as)
	}
	// Second pass is served from the cache and must give the same answers.
	for _, w := range known {
		check(t, db, w.ip, w.geo, w.as)
	}
	// The cache is per string: each spelling is looked up once, then
	// served from the cache.
	db2 := open(t)
	spellings := []string{"81.2.69.142", "::ffff:81.2.69.142", "2001:480::1", "2001:480::1%eth0", "2001:480:0::1"}
	for range 3 {
		for _, ip := range spellings {
			db2.Enrich(obj{"source": obj{"ip": ip}}, []string{"source"})
		}
	}
	if n := db2.resolves.Load(); n != uint64(len(spellings)) {
		t.Errorf("%d database lookups for %d strings", n, len(spellings))
	}
	if st := db2.CacheStats(); st.Len != len(spellings) || st.Hits != 2*uint64(len(spellings)) {
		t.Errorf("cache stats %+v", st)
	}
}

// TestCacheHitEqualsMiss: a cached answer writes the same bytes as a
// lookup with no cache at all, for every kind of .ip value.
func TestCacheHitEqualsMiss(t *testing.T) {
	cached := open(t)
	uncached, err := Open(cityDB, asnDB, CacheSize(0))
	if err != nil {
		t.Fatal(err)
	}
	defer uncached.Close()
	var ips []any
	for _, w := range known {
		ips = append(ips, w.ip)
	}
	ips = append(ips, "10.0.0.1", "fe80::1%eth0", "not-an-ip", "", " 81.2.69.142", 42, nil)
	fields := []string{"source", "destination", "client"}
	for round := range 3 {
		for _, ip := range ips {
			mk := func() obj {
				return obj{"source": obj{"ip": ip, "geo": "old"}, "destination": obj{"ip": "89.160.20.112"}, "client": "x"}
			}
			a, b := mk(), mk()
			cached.Enrich(a, fields)
			uncached.Enrich(b, fields)
			ja, errA := doc.AppendJSON(nil, a)
			jb, errB := doc.AppendJSON(nil, b)
			if errA != nil || errB != nil || !bytes.Equal(ja, jb) {
				t.Errorf("round %d %v:\ncached   %s\nuncached %s", round, ip, ja, jb)
			}
		}
	}
	if st := uncached.CacheStats(); st.Len != 0 {
		t.Errorf("disabled cache holds %d", st.Len)
	}
	if st := cached.CacheStats(); st.Hits == 0 {
		t.Errorf("cache unused: %+v", st)
	}
}

// TestReloadStartsEmpty: a new DB (a reload) never answers from the
// cache of the one it replaces.
func TestReloadStartsEmpty(t *testing.T) {
	asn, err := os.ReadFile(asnDB)
	if err != nil {
		t.Fatal(err)
	}
	city, err := os.ReadFile(cityDB)
	if err != nil {
		t.Fatal(err)
	}
	old, err := FromBytes(nil, asn)
	if err != nil {
		t.Fatal(err)
	}
	check(t, old, "89.160.20.112", nil, bredband2)
	check(t, old, "81.2.69.142", nil, nil)
	reloaded, err := FromBytes(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	check(t, reloaded, "89.160.20.112", linkoping, bredband2)
	check(t, reloaded, "81.2.69.142", london, nil)
	check(t, old, "89.160.20.112", nil, bredband2)
}

func TestEnrichSeveralFields(t *testing.T) {
	db := open(t)
	doc := obj{
		"source":      obj{"ip": "81.2.69.142"},
		"destination": obj{"ip": "89.160.20.112"},
		"client":      obj{"ip": "1.128.0.1"},
	}
	db.Enrich(doc, []string{"source", "destination", "server"})
	exp := obj{
		"source":      obj{"ip": "81.2.69.142", "geo": london},
		"destination": obj{"ip": "89.160.20.112", "geo": linkoping, "as": bredband2},
		"client":      obj{"ip": "1.128.0.1"}, // not in the field list
	}
	if !reflect.DeepEqual(doc, exp) {
		t.Errorf("got %s\nwant %s", js(doc), js(exp))
	}
}

func TestEnrichReplacesExistingGeo(t *testing.T) {
	db := open(t)
	doc := obj{"source": obj{"ip": "81.2.69.142", "geo": obj{"city_name": "stale", "name": "x"}}}
	db.Enrich(doc, []string{"source"})
	if got := doc["source"].(obj)["geo"]; !reflect.DeepEqual(got, london) {
		t.Errorf("geo = %s", js(got))
	}
}

func TestSkip(t *testing.T) {
	for ip, want := range map[string]bool{
		"10.1.2.3": true, "172.16.0.1": true, "172.31.255.255": true, "192.168.1.1": true, "fd00::1": true, "fc00::1": true,
		"127.0.0.1": true, "::1": true, "169.254.169.254": true, "fe80::1": true,
		"224.0.0.1": true, "239.1.2.3": true, "ff02::1": true, "ff05::2": true, "0.0.0.0": true, "::": true,
		"81.2.69.142": false, "172.32.0.1": false, "8.8.8.8": false, "2001:480::1": false, "100.64.0.1": false,
		"2001:db8::1": false, "192.0.2.1": false,
	} {
		if got := skip(netip.MustParseAddr(ip)); got != want {
			t.Errorf("skip(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestEnrichLeavesOthersAlone(t *testing.T) {
	db := open(t)
	docs := []obj{
		{"source": obj{"ip": "10.0.0.1"}},
		{"source": obj{"ip": "192.168.1.1"}},
		{"source": obj{"ip": "172.16.5.4"}},
		{"source": obj{"ip": "fd12:3456::1"}},
		{"source": obj{"ip": "127.0.0.1"}},
		{"source": obj{"ip": "::1"}},
		{"source": obj{"ip": "169.254.1.1"}},
		{"source": obj{"ip": "fe80::1%eth0"}},
		{"source": obj{"ip": "224.0.0.251"}},
		{"source": obj{"ip": "ff02::1"}},
		{"source": obj{"ip": "0.0.0.0"}},
		{"source": obj{"ip": "::"}},
		{"source": obj{"ip": "::ffff:10.0.0.1"}},
		// invalid or not a string
		{"source": obj{"ip": "not-an-ip"}},
		{"source": obj{"ip": ""}},
		{"source": obj{"ip": " 81.2.69.142"}},
		{"source": obj{"ip": "81.2.69.142/32"}},
		{"source": obj{"ip": "81.2.69.142:443"}},
		{"source": obj{"ip": 42}},
		{"source": obj{"ip": nil}},
		{"source": obj{"ip": []any{"81.2.69.142"}}},
		// no ip, no object, not an object
		{"source": obj{"address": "81.2.69.142"}},
		{"destination": obj{"ip": "81.2.69.142"}},
		{"source": "81.2.69.142"},
		{"source": nil},
		{},
	}
	for _, doc := range docs {
		before := js(doc)
		db.Enrich(doc, []string{"source", "client"})
		if after := js(doc); after != before {
			t.Errorf("document changed: %s -> %s", before, after)
		}
	}
	// None of these may even reach the databases.
	if n := db.resolves.Load(); n != 0 {
		t.Errorf("%d addresses were looked up", n)
	}
}

func TestNilAndEmptyDB(t *testing.T) {
	doc := obj{"source": obj{"ip": "81.2.69.142"}}
	var nilDB *DB
	nilDB.Enrich(doc, []string{"source"})
	empty, err := Open("", "")
	if err != nil {
		t.Fatal(err)
	}
	empty.Enrich(doc, []string{"source"})
	if len(doc["source"].(obj)) != 1 {
		t.Errorf("changed: %s", js(doc))
	}
	if c, a := nilDB.Enabled(); c || a {
		t.Error("nil DB enabled")
	}
	if err := nilDB.Close(); err != nil {
		t.Error(err)
	}
}

func TestHalves(t *testing.T) {
	city, err := os.ReadFile(cityDB)
	if err != nil {
		t.Fatal(err)
	}
	asn, err := os.ReadFile(asnDB)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.mmdb")
	mk := map[string]func() (*DB, error){
		"bytes city": func() (*DB, error) { return FromBytes(city, nil) },
		"bytes asn":  func() (*DB, error) { return FromBytes(nil, asn) },
		"bytes both": func() (*DB, error) { return FromBytes(city, asn) },
		"bytes none": func() (*DB, error) { return FromBytes(nil, nil) },
		"file city":  func() (*DB, error) { return Open(cityDB, missing) },
		"file asn":   func() (*DB, error) { return Open("", asnDB) },
		"file none":  func() (*DB, error) { return Open(missing, "") },
		"file both":  func() (*DB, error) { return Open(cityDB, asnDB) },
	}
	for name, f := range mk {
		t.Run(name, func(t *testing.T) {
			db, err := f()
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			wantCity := strings.HasSuffix(name, "city") || strings.HasSuffix(name, "both")
			wantASN := strings.HasSuffix(name, "asn") || strings.HasSuffix(name, "both")
			if c, a := db.Enabled(); c != wantCity || a != wantASN {
				t.Errorf("Enabled() = %v, %v; want %v, %v", c, a, wantCity, wantASN)
			}
			var geo, as obj
			if wantCity {
				geo = linkoping
			}
			if wantASN {
				as = bredband2
			}
			check(t, db, "89.160.20.112", geo, as)
			var merit obj
			if wantASN {
				merit = obj{"number": int64(237), "organization": obj{"name": "Merit Network Inc."}}
			}
			check(t, db, "2600:6000::1", nil, merit)
		})
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "GeoLite2-City.mmdb")
	if err := os.WriteFile(corrupt, []byte("this is not a MaxMind database, just text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "GeoLite2-ASN.mmdb")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ city, asn, name string }{
		{corrupt, asnDB, corrupt},
		{cityDB, corrupt, corrupt},
		{"", empty, empty},
		{asnDB, "", asnDB},   // an ASN database given as City
		{"", cityDB, cityDB}, // and the reverse
	} {
		db, err := Open(c.city, c.asn)
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("Open(%q, %q): want an error naming %s, got %v", c.city, c.asn, c.name, err)
		}
		if db != nil {
			t.Errorf("Open(%q, %q) returned a DB with the error", c.city, c.asn)
		}
	}
	city, _ := os.ReadFile(cityDB)
	asn, _ := os.ReadFile(asnDB)
	for _, c := range []struct {
		city, asn []byte
		half      string
	}{{[]byte("junk"), nil, "City"}, {nil, []byte("junk"), "ASN"}, {asn, nil, "City"}, {city, city, "ASN"}} {
		if _, err := FromBytes(c.city, c.asn); err == nil || !strings.Contains(err.Error(), c.half) {
			t.Errorf("FromBytes: want an error naming the %s half, got %v", c.half, err)
		}
	}
}

func TestCopiesAreIndependent(t *testing.T) {
	db := open(t)
	a := obj{"source": obj{"ip": "89.160.20.112"}}
	b := obj{"source": obj{"ip": "89.160.20.112"}}
	db.Enrich(a, []string{"source"})
	db.Enrich(b, []string{"source"})
	ga := a["source"].(obj)["geo"].(obj)
	ga["city_name"] = "changed"
	ga["location"].(obj)["lat"] = 0.0
	a["source"].(obj)["as"].(obj)["organization"].(obj)["name"] = "changed"
	check(t, db, "89.160.20.112", linkoping, bredband2)
	if want := (obj{"ip": "89.160.20.112", "geo": linkoping, "as": bredband2}); !reflect.DeepEqual(b["source"], want) {
		t.Errorf("documents share objects: %s", js(b))
	}
}

func TestCacheIsBounded(t *testing.T) {
	const size = 1000
	db, err := Open(cityDB, asnDB, CacheSize(size))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := netip.MustParseAddr("11.0.0.0").As4()
	for i := 0; i < size+100; i++ {
		a := base
		a[1], a[2], a[3] = byte(i>>16), byte(i>>8), byte(i)
		db.Enrich(obj{"source": obj{"ip": netip.AddrFrom4(a).String()}}, []string{"source"})
	}
	if st := db.CacheStats(); st.Len != size || st.Evictions != 100 {
		t.Errorf("cache stats %+v, want %d entries, 100 evicted", st, size)
	}
	check(t, db, "81.2.69.142", london, nil)
	if open(t).CacheStats().Len != 0 || DefaultCacheSize < 10000 {
		t.Error("default cache")
	}
}

func TestConcurrentEnrich(t *testing.T) {
	t.Run("default", func(t *testing.T) { concurrentEnrich(t, open(t)) })
	t.Run("evicting", func(t *testing.T) {
		db, err := Open(cityDB, asnDB, CacheSize(3))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		concurrentEnrich(t, db)
	})
}

func concurrentEnrich(t *testing.T, db *DB) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				w := known[(g+i)%len(known)]
				doc := obj{"source": obj{"ip": w.ip}}
				db.Enrich(doc, []string{"source"})
				src := doc["source"].(obj)
				if !reflect.DeepEqual(src["geo"], any(w.geo)) && (w.geo != nil || src["geo"] != nil) {
					t.Errorf("%s: geo %s", w.ip, js(src["geo"]))
					return
				}
				if !reflect.DeepEqual(src["as"], any(w.as)) && (w.as != nil || src["as"] != nil) {
					t.Errorf("%s: as %s", w.ip, js(src["as"]))
					return
				}
				src["geo"] = "mutated" // must not reach another document
			}
		}()
	}
	wg.Wait()
}

// fakeSource serves objects from memory and counts Get calls.
type fakeSource struct {
	mu    sync.Mutex
	objs  map[string][]byte // key -> body
	fail  error
	calls int
}

func (f *fakeSource) Get(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	b, ok := f.objs[key]
	if !ok {
		// Shaped like blob's S3 error: wrapped fs.ErrNotExist.
		return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// readFailSource's bodies fail after a few bytes.
type readFailSource struct {
	body []byte
	err  error
}

func (f *readFailSource) Get(context.Context, string, string) (io.ReadCloser, error) {
	return io.NopCloser(io.MultiReader(bytes.NewReader(f.body), errReader{f.err})), nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

const (
	cityKey = "GeoLite2/GeoLite2-City.mmdb"
	asnKey  = "GeoLite2/GeoLite2-ASN.mmdb"
)

// coldStart forgets the DBs Load keeps, as a new Lambda container would.
func coldStart(t *testing.T) {
	t.Helper()
	loadMu.Lock()
	loaded = map[loadKey]*DB{}
	loadMu.Unlock()
	t.Cleanup(func() {
		loadMu.Lock()
		loaded = map[loadKey]*DB{}
		loadMu.Unlock()
	})
}

func testObjects(t *testing.T) map[string][]byte {
	city, err := os.ReadFile(cityDB)
	if err != nil {
		t.Fatal(err)
	}
	asn, err := os.ReadFile(asnDB)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{cityKey: city, asnKey: asn}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	objs := testObjects(t)

	t.Run("present", func(t *testing.T) {
		coldStart(t)
		dir := t.TempDir()
		src := &fakeSource{objs: objs}
		db, err := Load(ctx, src, "geo", cityKey, asnKey, dir, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if c, a := db.Enabled(); !c || !a || src.calls != 2 {
			t.Fatalf("Enabled() = %v, %v after %d Get calls", c, a, src.calls)
		}
		check(t, db, "89.160.20.112", linkoping, bredband2)
		for key, body := range objs {
			if got, err := os.ReadFile(cachePath(dir, "geo", key)); err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s not cached in %s: %v", key, dir, err)
			}
		}
		// Warm invocation: same DB, no Get, even if the files are gone.
		os.RemoveAll(dir)
		again, err := Load(ctx, src, "geo", cityKey, asnKey, dir, time.Hour)
		if err != nil || again != db || src.calls != 2 {
			t.Errorf("warm Load: same DB %v, err %v, Get calls %d (want 2)", again == db, err, src.calls)
		}
		// Closing the shared DB must not break the next invocation.
		db.Close()
		check(t, again, "2.125.160.216", known[3].geo, nil) // not cached yet
		// Another bucket is loaded on its own.
		other, err := Load(ctx, src, "geo-eu", cityKey, "", t.TempDir(), time.Hour)
		if err != nil || other == db || src.calls != 3 {
			t.Errorf("other bucket: err %v, same DB %v, Get calls %d (want 3)", err, other == db, src.calls)
		}
	})

	t.Run("not found", func(t *testing.T) {
		coldStart(t)
		src := &fakeSource{objs: map[string][]byte{cityKey: objs[cityKey]}}
		db, err := Load(ctx, src, "geo", cityKey, asnKey, t.TempDir(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if c, a := db.Enabled(); !c || a {
			t.Errorf("city present, ASN missing: Enabled() = %v, %v", c, a)
		}
		check(t, db, "89.160.20.112", linkoping, nil)

		coldStart(t)
		db, err = Load(ctx, &fakeSource{}, "geo", cityKey, asnKey, t.TempDir(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if c, a := db.Enabled(); c || a {
			t.Errorf("both missing: Enabled() = %v, %v", c, a)
		}
	})

	t.Run("other error", func(t *testing.T) {
		coldStart(t)
		dir := t.TempDir()
		boom := errors.New("AccessDenied")
		db, err := Load(ctx, &fakeSource{fail: boom}, "geo", cityKey, asnKey, dir, time.Hour)
		if !errors.Is(err, boom) || db != nil {
			t.Fatalf("want the source error, got %v, %v", db, err)
		}
		if !strings.Contains(err.Error(), "s3://geo/"+cityKey) {
			t.Errorf("error does not name the object: %v", err)
		}
		// Failures are not cached: the next invocation tries again.
		src := &fakeSource{objs: objs}
		if db, err := Load(ctx, src, "geo", cityKey, asnKey, dir, time.Hour); err != nil || src.calls != 2 {
			t.Errorf("retry: %v, %v, Get calls %d", db, err, src.calls)
		}
	})

	t.Run("read error", func(t *testing.T) {
		coldStart(t)
		dir := t.TempDir()
		reset := errors.New("connection reset by peer")
		src := &readFailSource{body: objs[cityKey][:1000], err: reset}
		if _, err := Load(ctx, src, "geo", cityKey, asnKey, dir, time.Hour); !errors.Is(err, reset) {
			t.Fatalf("want the read error, got %v", err)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
			t.Errorf("partial download left in the cache directory: %v", m)
		}
	})

	t.Run("corrupt object", func(t *testing.T) {
		coldStart(t)
		dir := t.TempDir()
		bad := map[string][]byte{cityKey: []byte("<Error>AccessDenied</Error>"), asnKey: objs[asnKey]}
		if _, err := Load(ctx, &fakeSource{objs: bad}, "geo", cityKey, asnKey, dir, time.Hour); err == nil {
			t.Fatal("corrupt City object loaded")
		}
		// The bad copy must not be reused although it is young.
		src := &fakeSource{objs: objs}
		db, err := Load(ctx, src, "geo", cityKey, asnKey, dir, time.Hour)
		if err != nil || src.calls != 2 {
			t.Fatalf("after a corrupt download: %v, Get calls %d (want 2)", err, src.calls)
		}
		check(t, db, "81.2.69.142", london, nil)
	})

	t.Run("disk cache", func(t *testing.T) {
		coldStart(t)
		dir := t.TempDir()
		if _, err := Load(ctx, &fakeSource{objs: objs}, "geo", cityKey, asnKey, dir, time.Hour); err != nil {
			t.Fatal(err)
		}
		// New container, same /tmp: young files are reused without Get.
		coldStart(t)
		src := &fakeSource{fail: errors.New("must not be called")}
		db, err := Load(ctx, src, "geo", cityKey, asnKey, dir, time.Hour)
		if err != nil || src.calls != 0 {
			t.Fatalf("young files not reused: %v, Get calls %d", err, src.calls)
		}
		check(t, db, "89.160.20.112", linkoping, bredband2)

		// Files older than maxAge are downloaded again.
		coldStart(t)
		old := time.Now().Add(-2 * time.Hour)
		for _, key := range []string{cityKey, asnKey} {
			if err := os.Chtimes(cachePath(dir, "geo", key), old, old); err != nil {
				t.Fatal(err)
			}
		}
		src = &fakeSource{objs: objs}
		if _, err := Load(ctx, src, "geo", cityKey, asnKey, dir, time.Hour); err != nil || src.calls != 2 {
			t.Errorf("stale files: %v, Get calls %d (want 2)", err, src.calls)
		}
		st, err := os.Stat(cachePath(dir, "geo", cityKey))
		if err != nil || time.Since(st.ModTime()) > time.Minute {
			t.Errorf("stale file not replaced: %v", err)
		}
		// No temporary files are left behind.
		if m, _ := filepath.Glob(filepath.Join(dir, "*.part")); len(m) != 0 {
			t.Errorf("left over: %v", m)
		}
	})
}

// BenchmarkEnrich is the steady state: a document with source and
// destination whose addresses are in the cache (the map building of the
// document itself is included).
func BenchmarkEnrich(b *testing.B) {
	db := open(b)
	fields := []string{"source", "destination"}
	b.ReportAllocs()
	for b.Loop() {
		doc := obj{"source": obj{"ip": "89.160.20.112"}, "destination": obj{"ip": "81.2.69.142"}}
		db.Enrich(doc, fields)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkEnrichDistinct is the worst case: every document has a new
// address (a cache miss and a database lookup, then an eviction once the
// cache is full), addresses the test databases know.
func BenchmarkEnrichDistinct(b *testing.B) {
	db := open(b)
	fields := []string{"source"}
	base := netip.MustParseAddr("1.128.0.0").As4() // 1.128.0.0/11 in the ASN database
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		a := base
		a[1], a[2], a[3] = a[1]+byte(i>>16&31), byte(i>>8), byte(i)
		i++
		doc := obj{"source": obj{"ip": netip.AddrFrom4(a).String()}}
		db.Enrich(doc, fields)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkResolveUncached is the cost of a cache miss (both databases).
func BenchmarkResolveUncached(b *testing.B) {
	db := open(b)
	a := netip.MustParseAddr("89.160.20.112")
	b.ReportAllocs()
	for b.Loop() {
		if r := db.resolve(a); r.geo == nil || r.as == nil {
			b.Fatal("not found")
		}
	}
}
