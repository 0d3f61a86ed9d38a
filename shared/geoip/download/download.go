// Package download refreshes the GeoLite2 databases in the geo bucket from
// MaxMind with the user's license key. A database is replaced only by a
// download that opens as the right kind of database, so a failed or
// corrupt download leaves the last good copy in place.
package download

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/geoip"
)

// DefaultURL is MaxMind's download endpoint; {edition} is replaced.
const DefaultURL = "https://download.maxmind.com/geoip/databases/{edition}/download?suffix=tar.gz"

// Editions and where they are stored (the enrich step reads these keys).
var Editions = map[string]string{
	"GeoLite2-City": "GeoLite2/GeoLite2-City.mmdb",
	"GeoLite2-ASN":  "GeoLite2/GeoLite2-ASN.mmdb",
}

// Credentials are a MaxMind account id and license key.
type Credentials struct {
	AccountID  string `json:"account_id"`
	LicenseKey string `json:"license_key"`
}

// ParseCredentials reads a secret: {"account_id", "license_key"}, or
// "account_id:license_key".
func ParseCredentials(secret string) (Credentials, error) {
	secret = strings.TrimSpace(secret)
	var c Credentials
	if strings.HasPrefix(secret, "{") {
		if err := json.Unmarshal([]byte(secret), &c); err != nil {
			return c, fmt.Errorf("MaxMind secret: %w", err)
		}
	} else {
		c.AccountID, c.LicenseKey, _ = strings.Cut(secret, ":")
	}
	if c.AccountID == "" || c.LicenseKey == "" {
		return c, errors.New(`MaxMind secret: want {"account_id": "...", "license_key": "..."} or "account_id:license_key"`)
	}
	return c, nil
}

// Config is what a refresh needs.
type Config struct {
	Store  blob.Store
	Bucket string
	HTTP   *http.Client
	URL    string // DefaultURL when empty
	Creds  func(context.Context) (Credentials, error)
}

// Result says what happened to each edition.
type Result struct {
	Updated map[string]int    `json:"updated"`          // edition -> bytes stored
	Failed  map[string]string `json:"failed,omitempty"` // edition -> why (last good copy kept)
}

// Run downloads every edition. It fails only when no edition could be
// refreshed, so the schedule shows the problem; a partial failure is in
// the result.
func (c *Config) Run(ctx context.Context) (Result, error) {
	res := Result{Updated: map[string]int{}, Failed: map[string]string{}}
	creds, err := c.Creds(ctx)
	if err != nil {
		return res, err
	}
	for edition, key := range Editions {
		db, err := c.fetch(ctx, edition, creds)
		if err == nil {
			err = validate(edition, db)
		}
		if err == nil {
			err = c.Store.Put(ctx, c.Bucket, key, db)
		}
		if err != nil {
			res.Failed[edition] = err.Error()
			continue
		}
		res.Updated[edition] = len(db)
	}
	if len(res.Updated) == 0 {
		return res, fmt.Errorf("no GeoLite2 database refreshed (last good copies kept): %v", res.Failed)
	}
	if len(res.Failed) == 0 {
		res.Failed = nil
	}
	return res, nil
}

func (c *Config) fetch(ctx context.Context, edition string, creds Credentials) ([]byte, error) {
	u := strings.ReplaceAll(cmp.Or(c.URL, DefaultURL), "{edition}", url.PathEscape(edition))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(creds.AccountID, creds.LicenseKey)
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d", edition, resp.StatusCode)
	}
	return extract(resp.Body, edition+".mmdb")
}

// extract returns the named file from a tar.gz archive (MaxMind puts it
// in a dated folder: GeoLite2-City_20240305/GeoLite2-City.mmdb).
func extract(r io.Reader, name string) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: not a tar.gz archive: %w", name, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: not in the archive", name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: archive: %w", name, err)
		}
		if path.Base(h.Name) == name && h.Typeflag == tar.TypeReg {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(tr, 512<<20)); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return buf.Bytes(), nil
		}
	}
}

// validate opens the database as the enrich step will.
func validate(edition string, db []byte) error {
	var err error
	var g *geoip.DB
	if strings.HasSuffix(edition, "-ASN") {
		g, err = geoip.FromBytes(nil, db)
	} else {
		g, err = geoip.FromBytes(db, nil)
	}
	if err != nil {
		return err
	}
	return g.Close()
}
