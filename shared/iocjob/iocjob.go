// Package iocjob is the IoC state machine's work: plan which threat feeds
// to fetch, download each (one Map item per source), and build the
// database the enrich step matches against (shared/ioc).
//
// Downloads land raw under IOC/tmp/<source>/ in the geo bucket, so a feed
// that fails to download this time is built from its previous copy.
// The user's own files live under IOC/TXT/ (plain lists; a sub-folder
// names the provider) and IOC/STIX2/ (STIX 2.0/2.1 bundles).
package iocjob

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/ioc"
)

// Public feed locations (overridable: tests serve them locally).
const (
	DefaultTorURL   = "https://check.torproject.org/exit-addresses"
	DefaultFeodoURL = "https://feodotracker.abuse.ch/downloads/ipblocklist.json"
	DefaultOTXURL   = "https://otx.alienvault.com"
)

// Source names in plans and results.
const (
	SourceTor    = "tor"
	SourceFeodo  = "feodo"
	SourceOTX    = "otx"
	SourceCustom = "custom"
)

// Key prefixes in the geo bucket.
const (
	prefixTmp   = "IOC/tmp/"
	prefixTXT   = "IOC/TXT/"
	prefixSTIX2 = "IOC/STIX2/"
	torKey      = prefixTmp + "tor/exit-addresses"
	feodoKey    = prefixTmp + "feodo/ipblocklist.json"
	feodoMod    = prefixTmp + "feodo/last-modified"
	otxPrefix   = prefixTmp + "otx/"
)

// Config is what the three functions need.
type Config struct {
	Store  blob.Store
	Bucket string // the geo bucket
	HTTP   *http.Client
	// Tor and Feodo switch the public feeds on.
	Tor, Feodo bool
	// OTXKey returns the AlienVault OTX API key; nil or "" disables OTX.
	OTXKey func(context.Context) (string, error)
	// Feed URLs; empty means the public ones.
	TorURL, FeodoURL, OTXURL string
	// MaxOTXPulses caps the subscribed pulses fetched (newest first).
	MaxOTXPulses int
	Now          func() time.Time
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Source is one Map item: a feed to download.
type Source struct {
	Source string `json:"source"`
	// IDs are the OTX pulses this item fetches.
	IDs []string `json:"ids,omitempty"`
}

// Plan is the plan step's output.
type Plan struct {
	Sources []Source `json:"sources"`
	// Skipped says why configured feeds are not in the plan.
	Skipped map[string]string `json:"skipped,omitempty"`
}

// otxChunk is the number of pulses one download item fetches.
const otxChunk = 200

// Plan lists the feeds to fetch. With none enabled and no custom files,
// Sources is empty and the state machine ends without building.
func (c *Config) Plan(ctx context.Context) (Plan, error) {
	p := Plan{Sources: []Source{}, Skipped: map[string]string{}}
	if c.Tor {
		p.Sources = append(p.Sources, Source{Source: SourceTor})
	}
	if c.Feodo {
		p.Sources = append(p.Sources, Source{Source: SourceFeodo})
	}
	if c.OTXKey != nil {
		key, err := c.OTXKey(ctx)
		switch {
		case err != nil:
			p.Skipped[SourceOTX] = "API key unreadable: " + err.Error()
		case key == "":
			p.Skipped[SourceOTX] = "no API key"
		default:
			ids, err := c.otxPulseIDs(ctx, key)
			if err != nil {
				// The previous copies are still used by CreateDB.
				p.Skipped[SourceOTX] = "subscribed pulses unavailable: " + err.Error()
				break
			}
			for i := 0; i < len(ids); i += otxChunk {
				p.Sources = append(p.Sources, Source{Source: SourceOTX, IDs: ids[i:min(i+otxChunk, len(ids))]})
			}
		}
	}
	custom, err := c.customFiles(ctx)
	if err != nil {
		return Plan{}, err
	}
	if len(custom) > 0 {
		p.Sources = append(p.Sources, Source{Source: SourceCustom})
	}
	if len(p.Skipped) == 0 {
		p.Skipped = nil
	}
	return p, nil
}

func (c *Config) otxPulseIDs(ctx context.Context, key string) ([]string, error) {
	next := cmp.Or(c.OTXURL, DefaultOTXURL) + "/api/v1/pulses/subscribed_pulse_ids?limit=1000"
	var ids []string
	for pages := 0; next != "" && pages < 100; pages++ {
		body, _, err := c.get(ctx, next, key)
		if err != nil {
			return nil, err
		}
		var page struct {
			Results []string `json:"results"`
			Next    *string  `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("subscribed pulse ids: %w", err)
		}
		ids = append(ids, page.Results...)
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
	}
	// Pulse ids are ObjectIds: newest sort last.
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	max := c.MaxOTXPulses
	if max == 0 {
		max = 5000
	}
	if len(ids) > max {
		ids = ids[:max]
	}
	return ids, nil
}

// Downloaded is a download step's output.
type Downloaded struct {
	Source string `json:"source"`
	Files  int    `json:"files"`
	Bytes  int    `json:"bytes"`
}

// maxFeedBytes bounds one downloaded file (the database must fit a
// Lambda's memory).
const maxFeedBytes = 100 << 20

// Download fetches one feed into IOC/tmp/. An error fails the item; the
// state machine catches it and CreateDB uses the previous copy.
func (c *Config) Download(ctx context.Context, s Source) (Downloaded, error) {
	out := Downloaded{Source: s.Source}
	store := func(key string, body []byte) error {
		if err := c.Store.Put(ctx, c.Bucket, key, body); err != nil {
			return err
		}
		out.Files++
		out.Bytes += len(body)
		return nil
	}
	switch s.Source {
	case SourceTor:
		body, _, err := c.get(ctx, cmp.Or(c.TorURL, DefaultTorURL), "")
		if err != nil {
			return out, err
		}
		if !bytes.Contains(body, []byte("ExitAddress")) && !looksLikeIPList(body) {
			return out, errors.New("Tor exit list: response is neither an exit-addresses list nor a list of addresses")
		}
		return out, store(torKey, body)
	case SourceFeodo:
		body, hdr, err := c.get(ctx, cmp.Or(c.FeodoURL, DefaultFeodoURL), "")
		if err != nil {
			return out, err
		}
		if _, err := ioc.NewBuilder().ParseFeodo(bytes.NewReader(body), ""); err != nil {
			return out, fmt.Errorf("Feodo Tracker: %w", err)
		}
		mod := c.now().UTC().Format(time.RFC3339)
		if t, err := http.ParseTime(hdr.Get("Last-Modified")); err == nil {
			mod = t.UTC().Format(time.RFC3339)
		}
		if err := store(feodoKey, body); err != nil {
			return out, err
		}
		return out, c.Store.Put(ctx, c.Bucket, feodoMod, []byte(mod))
	case SourceOTX:
		key, err := c.OTXKey(ctx)
		if err != nil {
			return out, err
		}
		var failed []string
		for _, id := range s.IDs {
			body, _, err := c.get(ctx, cmp.Or(c.OTXURL, DefaultOTXURL)+"/api/v1/pulses/"+id, key)
			if err != nil {
				failed = append(failed, id)
				continue
			}
			if err := store(otxPrefix+id+".json", body); err != nil {
				return out, err
			}
		}
		if len(failed) == len(s.IDs) && len(failed) > 0 {
			return out, fmt.Errorf("OTX: none of %d pulses downloaded", len(failed))
		}
		return out, nil
	case SourceCustom:
		return out, nil // the user's files are read in place
	default:
		return out, fmt.Errorf("unknown IoC source %q", s.Source)
	}
}

// looksLikeIPList accepts the bulk exit list (one address per line).
func looksLikeIPList(b []byte) bool {
	first, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	_, err := netip.ParseAddr(string(bytes.TrimSpace(first)))
	return err == nil
}

func (c *Config) get(ctx context.Context, url, otxKey string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", "siem-loader-ioc/1")
	if otxKey != "" {
		req.Header.Set("X-OTX-API-KEY", otxKey)
	}
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: HTTP %d", redact(url), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFeedBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", redact(url), err)
	}
	if len(body) > maxFeedBytes {
		return nil, nil, fmt.Errorf("GET %s: larger than %d MB", redact(url), maxFeedBytes>>20)
	}
	return body, resp.Header, nil
}

func redact(url string) string {
	base, _, _ := strings.Cut(url, "?")
	return base
}

// Built is the CreateDB step's output.
type Built struct {
	Version    string         `json:"version"`
	Indicators int            `json:"indicators"`
	Sources    map[string]int `json:"sources"`
	Types      map[string]int `json:"types"`
	// Failed lists the downloads that failed this run (their previous
	// copies were used).
	Failed []string `json:"failed,omitempty"`
	// Skipped counts lines or objects of the feeds that held no usable
	// indicator, by file.
	Skipped map[string]int `json:"skipped,omitempty"`
}

// CreateDB builds the database from what IOC/tmp/ and the custom folders
// hold and stores it with its version marker. downloads are the Map's
// results (used to report failures).
func (c *Config) CreateDB(ctx context.Context, downloads []json.RawMessage) (Built, error) {
	out := Built{Skipped: map[string]int{}}
	for _, d := range downloads {
		var r struct {
			Source string          `json:"source"`
			Error  json.RawMessage `json:"error"`
		}
		if json.Unmarshal(d, &r) == nil && len(r.Error) > 0 {
			out.Failed = append(out.Failed, r.Source)
		}
	}
	b := ioc.NewBuilder()
	read := func(key string, parse func(io.Reader) (ioc.Stats, error)) error {
		rc, err := c.Store.Get(ctx, c.Bucket, key)
		if errors.Is(err, blob.ErrNotFound) {
			return nil // never downloaded
		}
		if err != nil {
			return err
		}
		defer rc.Close()
		st, err := parse(rc)
		if err != nil {
			// One broken file must not keep the others out.
			slog.Warn("IoC file unreadable, left out", "key", key, "error", err)
			out.Skipped[key]++
			return nil
		}
		if st.Skipped > 0 {
			out.Skipped[key] = st.Skipped
		}
		return nil
	}
	custom, err := c.customFiles(ctx)
	if err != nil {
		return out, err
	}
	for _, key := range custom {
		provider, name := customProvider(key)
		if strings.HasPrefix(key, prefixTXT) {
			err = read(key, func(r io.Reader) (ioc.Stats, error) {
				return b.ParseTXT(r, ioc.Indicator{Provider: provider, Name: name})
			})
		} else {
			err = read(key, func(r io.Reader) (ioc.Stats, error) { return b.ParseSTIX(r, provider, name) })
		}
		if err != nil {
			return out, err
		}
	}
	if c.Tor {
		if err := read(torKey, b.ParseTor); err != nil {
			return out, err
		}
	}
	if c.Feodo {
		mod := ""
		if rc, err := c.Store.Get(ctx, c.Bucket, feodoMod); err == nil {
			m, _ := io.ReadAll(io.LimitReader(rc, 64))
			rc.Close()
			mod = strings.TrimSpace(string(m))
		}
		if err := read(feodoKey, func(r io.Reader) (ioc.Stats, error) { return b.ParseFeodo(r, mod) }); err != nil {
			return out, err
		}
	}
	if c.OTXKey != nil {
		keys, err := c.Store.List(ctx, c.Bucket, otxPrefix)
		if err != nil {
			return out, err
		}
		for _, key := range keys {
			if err := read(key, b.ParseOTX); err != nil {
				return out, err
			}
		}
	}
	f := b.Build(c.now())
	var buf bytes.Buffer
	if err := ioc.Write(&buf, f); err != nil {
		return out, err
	}
	// The database first, then the marker that makes readers load it.
	if err := c.Store.Put(ctx, c.Bucket, ioc.DBKey, buf.Bytes()); err != nil {
		return out, err
	}
	if err := c.Store.Put(ctx, c.Bucket, ioc.VersionKey, []byte(f.Version+"\n")); err != nil {
		return out, err
	}
	out.Version, out.Indicators, out.Sources, out.Types = f.Version, len(f.Indicators), f.Sources, f.Types
	if len(out.Skipped) == 0 {
		out.Skipped = nil
	}
	return out, nil
}

// customFiles lists the user's feed files, sorted.
func (c *Config) customFiles(ctx context.Context) ([]string, error) {
	var out []string
	for _, prefix := range []string{prefixTXT, prefixSTIX2} {
		keys, err := c.Store.List(ctx, c.Bucket, prefix)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if !strings.HasSuffix(k, "/") {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// customProvider: IOC/TXT/<provider>/<file> names its provider; files
// directly under IOC/TXT/ or IOC/STIX2/ are "custom".
func customProvider(key string) (provider, name string) {
	rest := strings.TrimPrefix(strings.TrimPrefix(key, prefixTXT), prefixSTIX2)
	name = path.Base(rest)
	if dir := path.Dir(rest); dir != "." {
		return strings.SplitN(dir, "/", 2)[0], name
	}
	return SourceCustom, name
}
