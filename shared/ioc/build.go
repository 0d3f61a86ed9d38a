package ioc

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Provider names written on indicators.
const (
	ProviderBuiltin = "built-in"
	ProviderTor     = "torproject.org"
	ProviderFeodo   = "abuse.ch"
	ProviderOTX     = "AlienVault_OTX"
)

// Builder collects indicators from feeds; duplicates (same provider,
// type and value) are kept once.
type Builder struct {
	inds []Indicator
	seen map[string]bool
}

// NewBuilder returns a builder holding the built-in test indicators: the
// 172.104.242.172/30 range named TEST lets a user check detection end to
// end with a harmless address.
func NewBuilder() *Builder {
	b := &Builder{seen: map[string]bool{}}
	b.Add(Indicator{Type: TypeIPv4, Value: "172.104.242.172/30", Provider: ProviderBuiltin, Name: "TEST", Description: "test range: a match shows threat intel works"})
	return b
}

// Add adds one indicator; it reports whether it was new.
func (b *Builder) Add(ind Indicator) bool {
	k := ind.Provider + "\x00" + ind.Type + "\x00" + ind.Value
	if b.seen[k] {
		return false
	}
	b.seen[k] = true
	b.inds = append(b.inds, ind)
	return true
}

// Stats says what a parser read.
type Stats struct {
	Added, Duplicates, Skipped int
}

func (b *Builder) add(st *Stats, ind Indicator) {
	if b.Add(ind) {
		st.Added++
	} else {
		st.Duplicates++
	}
}

// addNetwork adds an address or network with its IP version's type.
func (b *Builder) addNetwork(st *Stats, value string, ind Indicator) bool {
	p, err := parseNetwork(value)
	if err != nil {
		return false
	}
	ind.Type = TypeIPv4
	if p.Addr().Is6() {
		ind.Type = TypeIPv6
	}
	ind.Value = p.String()
	if p.IsSingleIP() {
		ind.Value = p.Addr().String()
	}
	b.add(st, ind)
	return true
}

var domainRe = regexp.MustCompile(`^(?i:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)

// ParseTXT reads a plain list: one IP address, network, domain or URL per
// line; "#" comments, blank lines, a trailing tab/space-separated column
// (ipsum's counts) and ":port" suffixes are ignored. Lines that are none
// of these (paths, junk) are counted as skipped.
func (b *Builder) ParseTXT(r io.Reader, base Indicator) (Stats, error) {
	var st Stats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		tok := strings.Fields(line)[0]
		ind := base
		switch {
		case strings.Contains(tok, "://"):
			ind.Type, ind.Value = TypeURL, tok
			b.add(&st, ind)
		case b.addNetwork(&st, tok, ind):
		case strings.Count(tok, ":") == 1 && b.addNetwork(&st, tok[:strings.IndexByte(tok, ':')], ind): // 1.2.3.4:443
		case domainRe.MatchString(strings.TrimSuffix(tok, ".")):
			ind.Type, ind.Value = TypeDomain, normalizeDomain(tok)
			b.add(&st, ind)
		default:
			st.Skipped++
		}
	}
	return st, sc.Err()
}

// stixPattern finds the comparisons of a STIX pattern the database can
// match; compound patterns ("[a] OR [b]") give several.
var stixPattern = regexp.MustCompile(`(ipv4-addr|ipv6-addr|domain-name|url):value\s*=\s*'((?:[^'\\]|\\.)*)'`)

// ParseSTIX reads a STIX 2.0 or 2.1 bundle and adds the values of its
// indicator patterns (ipv4-addr, ipv6-addr, domain-name, url). file names
// the bundle in each indicator's name.
func (b *Builder) ParseSTIX(r io.Reader, provider, file string) (Stats, error) {
	var st Stats
	var bundle struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(r).Decode(&bundle); err != nil {
		return st, fmt.Errorf("STIX bundle %s: %w", file, err)
	}
	if bundle.Type != "bundle" {
		return st, fmt.Errorf("STIX bundle %s: type %q, not a bundle", file, bundle.Type)
	}
	for _, raw := range bundle.Objects {
		var o struct {
			Type, Name, Description, Pattern, Modified, Created string
			ValidFrom                                           string `json:"valid_from"`
			ValidUntil                                          string `json:"valid_until"`
			Confidence                                          int
		}
		if json.Unmarshal(raw, &o) != nil || o.Type != "indicator" {
			continue
		}
		matches := stixPattern.FindAllStringSubmatch(o.Pattern, -1)
		if len(matches) == 0 {
			st.Skipped++ // file hashes, certificates...
			continue
		}
		name := file
		if o.Name != "" {
			name = file + ": " + o.Name
		}
		base := Indicator{Provider: provider, Name: name, Description: o.Description, FirstSeen: isoUTC(o.ValidFrom), LastSeen: isoUTC(o.ValidUntil), Modified: isoUTC(cmp.Or(o.Modified, o.Created)), Confidence: o.Confidence}
		for _, m := range matches {
			value := strings.ReplaceAll(m[2], `\'`, `'`)
			ind := base
			switch m[1] {
			case "ipv4-addr", "ipv6-addr":
				if !b.addNetwork(&st, value, ind) {
					st.Skipped++
				}
			case "domain-name":
				ind.Type, ind.Value = TypeDomain, normalizeDomain(value)
				b.add(&st, ind)
			case "url":
				ind.Type, ind.Value = TypeURL, value
				b.add(&st, ind)
			}
		}
	}
	return st, nil
}

// ParseTor reads the Tor exit list: check.torproject.org/exit-addresses
// (ExitNode/LastStatus/ExitAddress records) or the bulk list (one address
// per line).
func (b *Builder) ParseTor(r io.Reader) (Stats, error) {
	var st Stats
	sc := bufio.NewScanner(r)
	var fp, lastStatus string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "@") {
			continue
		}
		switch f[0] {
		case "ExitNode":
			if len(f) > 1 {
				fp, lastStatus = f[1], ""
			}
		case "LastStatus":
			if len(f) > 2 {
				lastStatus = f[1] + "T" + f[2] + "Z"
			}
		case "ExitAddress":
			if len(f) < 2 {
				continue
			}
			ind := Indicator{Provider: ProviderTor, Name: "TOR", Description: "Tor exit node", LastSeen: lastStatus}
			if fp != "" {
				ind.Reference = "https://metrics.torproject.org/rs.html#details/" + fp
			}
			if len(f) > 3 {
				ind.Modified = f[2] + "T" + f[3] + "Z"
			}
			if !b.addNetwork(&st, f[1], ind) {
				st.Skipped++
			}
		case "Published", "Downloaded":
		default:
			if !b.addNetwork(&st, f[0], Indicator{Provider: ProviderTor, Name: "TOR", Description: "Tor exit node"}) {
				st.Skipped++
			}
		}
	}
	return st, sc.Err()
}

// ParseFeodo reads abuse.ch Feodo Tracker's IP blocklist, JSON
// (ipblocklist.json) or CSV (ipblocklist.csv). modified is the feed's
// Last-Modified time.
func (b *Builder) ParseFeodo(r io.Reader, modified string) (Stats, error) {
	var st Stats
	data, err := io.ReadAll(r)
	if err != nil {
		return st, err
	}
	type entry struct {
		IP, FirstSeen, LastOnline, Status, Malware string
		Port                                       string
	}
	var entries []entry
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		var js []struct {
			IP         string          `json:"ip_address"`
			Port       json.Number     `json:"port"`
			Status     string          `json:"status"`
			FirstSeen  string          `json:"first_seen"`
			LastOnline string          `json:"last_online"`
			Malware    string          `json:"malware"`
			Extra      json.RawMessage `json:"-"`
		}
		if err := json.Unmarshal(t, &js); err != nil {
			return st, fmt.Errorf("Feodo Tracker JSON: %w", err)
		}
		for _, e := range js {
			entries = append(entries, entry{e.IP, e.FirstSeen, e.LastOnline, e.Status, e.Malware, e.Port.String()})
		}
	} else {
		var lines []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		rows, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
		if err != nil {
			return st, fmt.Errorf("Feodo Tracker CSV: %w", err)
		}
		col := map[string]int{}
		for i, row := range rows {
			if i == 0 {
				for j, h := range row {
					col[h] = j
				}
				continue
			}
			get := func(k string) string {
				if j, ok := col[k]; ok && j < len(row) {
					return row[j]
				}
				return ""
			}
			entries = append(entries, entry{get("dst_ip"), get("first_seen_utc"), get("last_online"), get("c2_status"), get("malware"), get("dst_port")})
		}
	}
	for _, e := range entries {
		ind := Indicator{Provider: ProviderFeodo, Name: cmp.Or(e.Malware, "malware"), Reference: "https://feodotracker.abuse.ch/browse/host/" + e.IP + "/",
			FirstSeen: isoUTC(e.FirstSeen), Modified: modified, Description: "botnet C2 server, status " + e.Status}
		if e.LastOnline != "" {
			ind.LastSeen = isoUTC(e.LastOnline)
		}
		if e.Port != "" {
			ind.Description += ", port " + e.Port
		}
		if !b.addNetwork(&st, e.IP, ind) {
			st.Skipped++
		}
	}
	return st, nil
}

// ParseOTX reads AlienVault OTX pulses: one pulse object, or a page
// {"results": [pulses]}. IPv4, IPv6, domain, hostname and URL indicators
// are kept.
func (b *Builder) ParseOTX(r io.Reader) (Stats, error) {
	var st Stats
	type pulse struct {
		ID, Name, Description, Modified, Created string
		Indicators                               []struct {
			Indicator, Type, Title, Description, Created string
		}
	}
	var page struct {
		Results []pulse `json:"results"`
		pulse
	}
	if err := json.NewDecoder(r).Decode(&page); err != nil {
		return st, fmt.Errorf("OTX pulse: %w", err)
	}
	pulses := page.Results
	if len(pulses) == 0 && page.pulse.Name != "" {
		pulses = []pulse{page.pulse}
	}
	for _, p := range pulses {
		for _, in := range p.Indicators {
			desc := p.Description
			for _, s := range []string{in.Title, in.Description} {
				if s != "" {
					desc = strings.TrimSuffix(desc, ".") + ". " + s
				}
			}
			ind := Indicator{Provider: ProviderOTX, Name: p.Name, Description: strings.TrimPrefix(desc, ". "), FirstSeen: isoUTC(in.Created), Modified: isoUTC(cmp.Or(p.Modified, p.Created))}
			switch in.Type {
			case "IPv4", "IPv6":
				ind.Reference = "https://otx.alienvault.com/indicator/ip/" + in.Indicator
				if !b.addNetwork(&st, in.Indicator, ind) {
					st.Skipped++
				}
			case "domain", "hostname":
				ind.Type, ind.Value = TypeDomain, normalizeDomain(in.Indicator)
				ind.Reference = "https://otx.alienvault.com/indicator/" + in.Type + "/" + in.Indicator
				b.add(&st, ind)
			case "URL":
				ind.Type, ind.Value = TypeURL, in.Indicator
				ind.Reference = "https://otx.alienvault.com/indicator/url/" + in.Indicator
				b.add(&st, ind)
			default:
				st.Skipped++
			}
		}
	}
	return st, nil
}

// Build returns the database file: indicators sorted, counted and
// versioned by their content (same indicators, same version).
func (b *Builder) Build(now time.Time) File {
	inds := append([]Indicator(nil), b.inds...)
	sort.Slice(inds, func(i, j int) bool {
		a, c := inds[i], inds[j]
		if a.Type != c.Type {
			return a.Type < c.Type
		}
		if a.Value != c.Value {
			return a.Value < c.Value
		}
		return a.Provider < c.Provider
	})
	f := File{Format: Format, Built: now.UTC().Format(time.RFC3339), Sources: map[string]int{}, Types: map[string]int{}, Indicators: inds}
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, ind := range inds {
		f.Sources[ind.Provider]++
		f.Types[ind.Type]++
		enc.Encode(ind)
	}
	f.Version = hex.EncodeToString(h.Sum(nil))[:16]
	return f
}

// Write stores a database file (gzip JSON).
func Write(w io.Writer, f File) error {
	zw := gzip.NewWriter(w)
	if err := json.NewEncoder(zw).Encode(f); err != nil {
		return err
	}
	return zw.Close()
}

// Open indexes a built file without a store round trip (tests, siem load).
func Open(f File, opts ...Option) *DB { return index(f, opts) }

// isoUTC normalises feed times ("2021-01-17 07:44:46", "2022-11-15",
// RFC 3339 with any offset or fraction) to "2006-01-02T15:04:05Z"; text it
// cannot read is kept as it is.
func isoUTC(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Format("2006-01-02T15:04:05Z")
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 1e9 {
		return time.Unix(n, 0).UTC().Format("2006-01-02T15:04:05Z")
	}
	return s
}
