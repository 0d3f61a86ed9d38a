// Package geoip adds MaxMind GeoLite2 City and ASN data to ECS documents:
// for each object named by the log type (source, destination...), the
// address in <object>.ip gets <object>.geo and <object>.as.
package geoip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB holds the optional City and ASN readers and a lookup cache.
type DB struct {
	city, asn *maxminddb.Reader
	mu        sync.Mutex
	cache     map[netip.Addr]entry
}

type entry struct {
	geo map[string]any
	as  map[string]any
}

const cacheSize = 1 << 16

// Open opens the databases at the given paths. An empty path or a missing
// file disables that half; a corrupt file is an error naming it.
func Open(cityPath, asnPath string) (*DB, error) {
	db := &DB{cache: map[netip.Addr]entry{}}
	var err error
	if db.city, err = open(cityPath); err != nil {
		return nil, err
	}
	if db.asn, err = open(asnPath); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func open(path string) (*maxminddb.Reader, error) {
	if path == "" {
		return nil, nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("GeoIP database %s: %w", path, err)
	}
	return r, nil
}

// FromBytes opens databases held in memory; nil disables that half.
func FromBytes(city, asn []byte) (*DB, error) {
	db := &DB{cache: map[netip.Addr]entry{}}
	var err error
	if city != nil {
		if db.city, err = maxminddb.OpenBytes(city); err != nil {
			return nil, fmt.Errorf("GeoIP City database: %w", err)
		}
	}
	if asn != nil {
		if db.asn, err = maxminddb.OpenBytes(asn); err != nil {
			return nil, fmt.Errorf("GeoIP ASN database: %w", err)
		}
	}
	return db, nil
}

// Enabled reports which halves are loaded.
func (db *DB) Enabled() (city, asn bool) { return db.city != nil, db.asn != nil }

// Close releases the readers.
func (db *DB) Close() error {
	var first error
	for _, r := range []*maxminddb.Reader{db.city, db.asn} {
		if r != nil {
			if err := r.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

type cityRecord struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Continent struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
	Subdivisions []struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
}

type asnRecord struct {
	Number uint   `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// skip is true for addresses no GeoIP database can place: private,
// loopback, link-local, multicast, unspecified.
func skip(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast()
}

func (db *DB) lookup(a netip.Addr) entry {
	db.mu.Lock()
	e, ok := db.cache[a]
	db.mu.Unlock()
	if ok {
		return e
	}
	if db.city != nil {
		var r cityRecord
		if res := db.city.Lookup(a); res.Found() && res.Decode(&r) == nil {
			g := map[string]any{}
			put(g, "city_name", r.City.Names["en"])
			put(g, "continent_name", r.Continent.Names["en"])
			put(g, "country_iso_code", r.Country.ISOCode)
			put(g, "country_name", r.Country.Names["en"])
			if len(r.Subdivisions) > 0 {
				put(g, "region_name", r.Subdivisions[0].Names["en"])
				if r.Country.ISOCode != "" && r.Subdivisions[0].ISOCode != "" {
					g["region_iso_code"] = r.Country.ISOCode + "-" + r.Subdivisions[0].ISOCode
				}
			}
			if r.Location.Latitude != nil && r.Location.Longitude != nil {
				g["location"] = map[string]any{"lat": *r.Location.Latitude, "lon": *r.Location.Longitude}
			}
			if len(g) > 0 {
				e.geo = g
			}
		}
	}
	if db.asn != nil {
		var r asnRecord
		if res := db.asn.Lookup(a); res.Found() && res.Decode(&r) == nil && (r.Number != 0 || r.Org != "") {
			as := map[string]any{}
			if r.Number != 0 {
				as["number"] = int64(r.Number)
			}
			if r.Org != "" {
				as["organization"] = map[string]any{"name": r.Org}
			}
			e.as = as
		}
	}
	db.mu.Lock()
	if len(db.cache) >= cacheSize {
		db.cache = map[netip.Addr]entry{}
	}
	db.cache[a] = e
	db.mu.Unlock()
	return e
}

func put(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// Enrich writes <field>.geo and <field>.as for each field in fields whose
// .ip holds a public address found in the databases.
func (db *DB) Enrich(doc map[string]any, fields []string) {
	if db == nil || (db.city == nil && db.asn == nil) {
		return
	}
	for _, f := range fields {
		obj, ok := doc[f].(map[string]any)
		if !ok {
			continue
		}
		s, ok := obj["ip"].(string)
		if !ok {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		a = a.Unmap()
		if skip(a) {
			continue
		}
		e := db.lookup(a)
		// Each document gets its own copies: later steps may modify them.
		if e.geo != nil {
			obj["geo"] = clone(e.geo)
		}
		if e.as != nil {
			obj["as"] = clone(e.as)
		}
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = clone(sub)
		}
		out[k] = v
	}
	return out
}

// Source is where the Lambda functions fetch the databases from (S3).
type Source interface {
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
}

var (
	loadMu sync.Mutex
	loaded = map[string]*DB{}
)

// Load returns the databases of bucket, downloading cityKey and asnKey into
// cacheDir once per container and reusing files younger than maxAge. A
// missing object disables that half; other errors are returned.
func Load(ctx context.Context, src Source, bucket, cityKey, asnKey, cacheDir string, maxAge time.Duration) (*DB, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if db, ok := loaded[bucket]; ok {
		return db, nil
	}
	paths := make([]string, 2)
	for i, key := range []string{cityKey, asnKey} {
		p := filepath.Join(cacheDir, strings.ReplaceAll(bucket+"_"+key, "/", "_"))
		if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) < maxAge {
			paths[i] = p
			continue
		}
		rc, err := src.Get(ctx, bucket, key)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		tmp := p + ".part"
		f, err := os.Create(tmp)
		if err == nil {
			_, err = io.Copy(f, rc)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		rc.Close()
		if err == nil {
			err = os.Rename(tmp, p)
		}
		if err != nil {
			return nil, fmt.Errorf("caching s3://%s/%s: %w", bucket, key, err)
		}
		paths[i] = p
	}
	db, err := Open(paths[0], paths[1])
	if err != nil {
		return nil, err
	}
	loaded[bucket] = db
	return db, nil
}
