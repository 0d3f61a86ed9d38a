package geoip

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

const (
	cityDB = "testdata/GeoLite2-City-Test.mmdb"
	asnDB  = "testdata/GeoLite2-ASN-Test.mmdb"
)

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestEnrichKnownAddresses(t *testing.T) {
	db, err := Open(cityDB, asnDB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := []struct {
		ip, geo, as string
	}{
		{"81.2.69.142", `{"city_name":"London","continent_name":"Europe","country_iso_code":"GB","country_name":"United Kingdom","location":{"lat":51.5142,"lon":-0.0931},"region_iso_code":"GB-ENG","region_name":"England"}`, ``},
		{"216.160.83.57", `{"city_name":"Milton","continent_name":"North America","country_iso_code":"US","country_name":"United States","location":{"lat":47.2513,"lon":-122.3149},"region_iso_code":"US-WA","region_name":"Washington"}`, `{"number":209}`},
		{"89.160.20.156", `{"city_name":"Linköping","continent_name":"Europe","country_iso_code":"SE","country_name":"Sweden","location":{"lat":58.4167,"lon":15.6167},"region_iso_code":"SE-E","region_name":"Östergötland County"}`, `{"number":29518,"organization":{"name":"Bredband2 AB"}}`},
		{"1.128.0.1", ``, `{"number":1221,"organization":{"name":"Telstra Pty Ltd"}}`},
		{"::ffff:81.2.69.142", `{"city_name":"London","continent_name":"Europe","country_iso_code":"GB","country_name":"United Kingdom","location":{"lat":51.5142,"lon":-0.0931},"region_iso_code":"GB-ENG","region_name":"England"}`, ``},
	}
	for _, c := range cases {
		doc := map[string]any{"source": map[string]any{"ip": c.ip}}
		db.Enrich(doc, []string{"source"})
		src := doc["source"].(map[string]any)
		if got := asJSON(src["geo"]); c.geo != "" && got != c.geo || c.geo == "" && src["geo"] != nil {
			t.Errorf("%s geo = %s, want %s", c.ip, got, c.geo)
		}
		if got := asJSON(src["as"]); c.as != "" && got != c.as || c.as == "" && src["as"] != nil {
			t.Errorf("%s as = %s, want %s", c.ip, got, c.as)
		}
	}
}

func TestEnrichLeavesOthersAlone(t *testing.T) {
	db, err := Open(cityDB, asnDB)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []any{"10.0.0.1", "192.168.1.1", "127.0.0.1", "fe80::1", "not-an-ip", 42, "198.51.100.1"} {
		doc := map[string]any{"source": map[string]any{"ip": ip}, "destination": "x"}
		before := fmt.Sprint(doc)
		db.Enrich(doc, []string{"source", "destination", "client"})
		if after := fmt.Sprint(doc); after != before {
			t.Errorf("%v: document changed: %s", ip, after)
		}
	}
}

func TestHalves(t *testing.T) {
	city, _ := os.ReadFile(cityDB)
	asn, _ := os.ReadFile(asnDB)
	for _, c := range []struct {
		city, asn       []byte
		wantGeo, wantAS bool
	}{{city, nil, true, false}, {nil, asn, false, true}, {nil, nil, false, false}} {
		db, err := FromBytes(c.city, c.asn)
		if err != nil {
			t.Fatal(err)
		}
		doc := map[string]any{"destination": map[string]any{"ip": "89.160.20.156"}}
		db.Enrich(doc, []string{"destination"})
		d := doc["destination"].(map[string]any)
		if (d["geo"] != nil) != c.wantGeo || (d["as"] != nil) != c.wantAS {
			t.Errorf("city=%v asn=%v: got %v", c.city != nil, c.asn != nil, d)
		}
	}
	db, err := Open("", filepath.Join(t.TempDir(), "missing.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	if c, a := db.Enabled(); c || a {
		t.Error("missing files must disable both halves")
	}
}

func TestCorruptFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "GeoLite2-City.mmdb")
	os.WriteFile(p, []byte("not a database"), 0o644)
	_, err := Open(p, "")
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(p)) {
		t.Errorf("want an error naming %s, got %v", p, err)
	}
}

type fakeSource struct {
	objs  map[string][]byte
	fail  error
	calls int
}

func (f *fakeSource) Get(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	b, ok := f.objs[key]
	if !ok {
		return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func TestLoad(t *testing.T) {
	city, _ := os.ReadFile(cityDB)
	ctx := context.Background()
	dir := t.TempDir()
	src := &fakeSource{objs: map[string][]byte{"GeoLite2/GeoLite2-City.mmdb": city}}
	db, err := Load(ctx, src, "geo-a", "GeoLite2/GeoLite2-City.mmdb", "GeoLite2/GeoLite2-ASN.mmdb", dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c, a := db.Enabled(); !c || a {
		t.Errorf("city present, ASN missing: enabled %v %v", c, a)
	}
	calls := src.calls
	if again, _ := Load(ctx, src, "geo-a", "GeoLite2/GeoLite2-City.mmdb", "GeoLite2/GeoLite2-ASN.mmdb", dir, time.Hour); again != db || src.calls != calls {
		t.Error("a warm container must reuse the loaded databases")
	}
	boom := errors.New("access denied")
	if _, err := Load(ctx, &fakeSource{fail: boom}, "geo-b", "c", "a", dir, time.Hour); !errors.Is(err, boom) {
		t.Errorf("want the source error, got %v", err)
	}
	// A fresh container (empty cache map) reuses young files on disk.
	delete(loaded, "geo-a")
	src2 := &fakeSource{objs: map[string][]byte{}}
	db2, err := Load(ctx, src2, "geo-a", "GeoLite2/GeoLite2-City.mmdb", "GeoLite2/GeoLite2-ASN.mmdb", dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := db2.Enabled(); !c || src2.calls != 1 {
		t.Errorf("cached city file not reused (calls %d)", src2.calls)
	}
}

func TestEnrichCopiesAreIndependent(t *testing.T) {
	db, _ := Open(cityDB, asnDB)
	a := map[string]any{"source": map[string]any{"ip": "81.2.69.142"}}
	b := map[string]any{"source": map[string]any{"ip": "81.2.69.142"}}
	db.Enrich(a, []string{"source"})
	db.Enrich(b, []string{"source"})
	a["source"].(map[string]any)["geo"].(map[string]any)["city_name"] = "changed"
	if reflect.DeepEqual(a, b) {
		t.Error("documents share geo objects")
	}
}

func BenchmarkEnrich(b *testing.B) {
	db, _ := Open(cityDB, asnDB)
	for i := 0; i < b.N; i++ {
		doc := map[string]any{"source": map[string]any{"ip": "89.160.20.156"}, "destination": map[string]any{"ip": "81.2.69.142"}}
		db.Enrich(doc, []string{"source", "destination"})
	}
}
