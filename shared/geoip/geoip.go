// Package geoip adds MaxMind GeoLite2 City and ASN data to ECS documents:
// for each object named by the log type (source, destination...), the
// address in <object>.ip gets <object>.geo and <object>.as.
package geoip

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/siemloader/siem/shared/lru"
)

// DefaultCacheSize bounds the per-address lookup cache unless CacheSize
// says otherwise: log batches repeat a limited set of addresses, and a
// warm container keeps the cache across invocations.
const DefaultCacheSize = 50000

// Option configures Open, FromBytes and Load.
type Option func(*options)

type options struct{ cacheSize int }

// CacheSize sets how many distinct address strings the DB remembers the
// answer for (least recently used ones are dropped first); < 1 disables
// the cache.
func CacheSize(n int) Option { return func(o *options) { o.cacheSize = n } }

// DB holds the optional City and ASN readers and a lookup cache. It is safe
// for concurrent use. The zero value and a nil *DB enrich nothing.
//
// The cache belongs to the DB: a reloaded database (a new DB from Open,
// FromBytes or Load) starts with an empty one, so answers of an older
// database are never served for it.
type DB struct {
	city, asn *maxminddb.Reader
	shared    bool // owned by the Load cache: Close is a no-op

	// cache maps the string found in <object>.ip to its answer (empty for
	// strings that are not public addresses, so they too cost one probe).
	cache    *lru.Cache[result]
	resolves atomic.Uint64 // database lookups (cache misses on public addresses)
}

// result is what one address resolves to; nil halves write nothing.
type result struct {
	geo *geoInfo
	as  *asInfo
}

// geoInfo and asInfo keep their members already boxed as interface values,
// so building a document's objects costs only the maps.
type geoInfo struct {
	members  []member
	lat, lon any // float64; nil without a location
}

type asInfo struct {
	number, org any // int64 and string; nil when absent
}

type member struct {
	key string
	val any
}

// Open opens the databases at the given paths. An empty path or a missing
// file disables that half; an unreadable or corrupt file, or a database of
// the wrong kind (City and ASN swapped), is an error naming the file.
func Open(cityPath, asnPath string, opts ...Option) (*DB, error) {
	city, err := openFile(cityPath, kindCity)
	if err != nil {
		return nil, err
	}
	asn, err := openFile(asnPath, kindASN)
	if err != nil {
		if city != nil {
			city.Close()
		}
		return nil, err
	}
	return newDB(city, asn, opts), nil
}

// FromBytes opens databases held in memory; nil disables that half. The
// slices must not be modified while the DB is in use.
func FromBytes(city, asn []byte, opts ...Option) (*DB, error) {
	var c, a *maxminddb.Reader
	var err error
	if city != nil {
		if c, err = maxminddb.OpenBytes(city); err == nil {
			err = checkKind(c, kindCity)
		}
		if err != nil {
			return nil, fmt.Errorf("geoip: City database: %w", err)
		}
	}
	if asn != nil {
		if a, err = maxminddb.OpenBytes(asn); err == nil {
			err = checkKind(a, kindASN)
		}
		if err != nil {
			if c != nil {
				c.Close()
			}
			return nil, fmt.Errorf("geoip: ASN database: %w", err)
		}
	}
	return newDB(c, a, opts), nil
}

func newDB(city, asn *maxminddb.Reader, opts []Option) *DB {
	o := options{cacheSize: DefaultCacheSize}
	for _, opt := range opts {
		opt(&o)
	}
	return &DB{city: city, asn: asn, cache: lru.New[result](o.cacheSize)}
}

// CacheStats reports the use of the lookup cache.
func (db *DB) CacheStats() lru.Stats {
	if db == nil {
		return lru.Stats{}
	}
	return db.cache.Stats()
}

type kind int

const (
	kindCity kind = iota
	kindASN
)

func (k kind) String() string {
	if k == kindCity {
		return "City"
	}
	return "ASN"
}

// checkKind rejects the obvious mix-up of the City and ASN files, which
// would otherwise silently enrich nothing. Other vendors' compatible
// databases (GeoIP2-City, DBIP-City-Lite, GeoIP2-ISP...) are accepted.
func checkKind(r *maxminddb.Reader, k kind) error {
	t := r.Metadata.DatabaseType
	var wrong bool
	switch k {
	case kindCity:
		wrong = strings.Contains(t, "ASN") || strings.Contains(t, "ISP")
	case kindASN:
		wrong = strings.Contains(t, "City") || strings.Contains(t, "Country")
	}
	if wrong {
		r.Close()
		return fmt.Errorf("database type %q is not a %s database", t, k)
	}
	return nil
}

// Enabled reports which halves are loaded.
func (db *DB) Enabled() (city, asn bool) {
	if db == nil {
		return false, false
	}
	return db.city != nil, db.asn != nil
}

// Close releases the readers. The DB must not be used afterwards. Close on a
// DB returned by Load does nothing: warm invocations share it.
func (db *DB) Close() error {
	if db == nil || db.shared {
		return nil
	}
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

// Enrich sets <field>.geo and <field>.as for each field in fields whose
// .ip is a string holding a public address found in the databases. Existing
// geo/as objects are replaced; nothing is written for a half that has no
// answer. Private (RFC 1918, fc00::/7), loopback, link-local, multicast and
// unspecified addresses are not looked up.
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
		r := db.lookup(s)
		// Each document gets its own maps: later steps may modify them.
		if r.geo != nil {
			obj["geo"] = r.geo.object()
		}
		if r.as != nil {
			obj["as"] = r.as.object()
		}
	}
}

// skip is true for addresses no GeoIP database can place.
func skip(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified()
}

// lookup answers for the string in an .ip field: from the cache, or
// parsed and resolved (nothing for what is not an address worth a lookup)
// and remembered. The result's geo and as are shared: read-only.
func (db *DB) lookup(s string) result {
	if r, ok := db.cache.Get(s); ok {
		return r
	}
	var r result
	if a, err := netip.ParseAddr(s); err == nil {
		if a = a.Unmap().WithZone(""); !skip(a) {
			db.resolves.Add(1)
			r = db.resolve(a)
		}
	}
	db.cache.Add(s, r)
	return r
}

// names decodes only the English name of a GeoNames record.
type names struct {
	EN string `maxminddb:"en"`
}

type cityRecord struct {
	City struct {
		Names names `maxminddb:"names"`
	} `maxminddb:"city"`
	Continent struct {
		Names names `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
}

type asnRecord struct {
	Number uint   `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// resolve queries the databases without the cache. Lookup or decode errors
// (a damaged record) are treated as "not found".
func (db *DB) resolve(a netip.Addr) result {
	var out result
	if db.city != nil {
		var r cityRecord
		if res := db.city.Lookup(a); res.Found() && res.Decode(&r) == nil {
			var g geoInfo
			add := func(k, v string) {
				if v != "" {
					g.members = append(g.members, member{k, v})
				}
			}
			add("city_name", r.City.Names.EN)
			add("continent_name", r.Continent.Names.EN)
			add("country_iso_code", r.Country.ISOCode)
			add("country_name", r.Country.Names.EN)
			if len(r.Subdivisions) > 0 {
				sub := r.Subdivisions[0]
				add("region_name", sub.Names.EN)
				if r.Country.ISOCode != "" && sub.ISOCode != "" {
					add("region_iso_code", r.Country.ISOCode+"-"+sub.ISOCode)
				}
			}
			if r.Location.Latitude != nil && r.Location.Longitude != nil {
				g.lat, g.lon = *r.Location.Latitude, *r.Location.Longitude
			}
			if len(g.members) > 0 || g.lat != nil {
				out.geo = &g
			}
		}
	}
	if db.asn != nil {
		var r asnRecord
		if res := db.asn.Lookup(a); res.Found() && res.Decode(&r) == nil && (r.Number != 0 || r.Org != "") {
			var as asInfo
			if r.Number != 0 {
				as.number = int64(r.Number)
			}
			if r.Org != "" {
				as.org = r.Org
			}
			out.as = &as
		}
	}
	return out
}

// object is the ECS geo object; empty members are left out and location
// is {"lat", "lon"} (an OpenSearch geo_point).
func (g *geoInfo) object() map[string]any {
	m := make(map[string]any, len(g.members)+1)
	for _, kv := range g.members {
		m[kv.key] = kv.val
	}
	if g.lat != nil {
		m["location"] = map[string]any{"lat": g.lat, "lon": g.lon}
	}
	return m
}

// object is the ECS as object; number is an int64 (ECS long).
func (a *asInfo) object() map[string]any {
	m := make(map[string]any, 2)
	if a.number != nil {
		m["number"] = a.number
	}
	if a.org != nil {
		m["organization"] = map[string]any{"name": a.org}
	}
	return m
}
