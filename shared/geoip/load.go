package geoip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// openFile opens one database file: "" or a missing file is (nil, nil).
func openFile(path string, k kind) (*maxminddb.Reader, error) {
	if path == "" {
		return nil, nil
	}
	r, err := maxminddb.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil {
		err = checkKind(r, k)
	}
	if err != nil {
		return nil, fmt.Errorf("geoip: %s database %s: %w", k, path, err)
	}
	return r, nil
}

// Source is where the Lambda functions fetch the databases from (S3;
// blob.Store satisfies it). A missing object must be reported with an error
// for which errors.Is(err, fs.ErrNotExist) holds (blob.ErrNotFound does).
type Source interface {
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
}

type loadKey struct{ bucket, cityKey, asnKey string }

var (
	loadMu sync.Mutex
	loaded = map[loadKey]*DB{}
)

// Load returns the databases stored in bucket under cityKey and asnKey
// (normally "GeoLite2/GeoLite2-City.mmdb" and "GeoLite2/GeoLite2-ASN.mmdb").
//
// The first call in a process downloads them into cacheDir (/tmp in Lambda),
// reusing files there that are younger than maxAge, and opens them; later
// calls for the same bucket and keys return the same DB without touching
// cacheDir or src, so warm Lambda invocations pay nothing. A missing object
// (or an empty key) disables that half. Any other error, including a
// corrupt download, is returned and nothing is cached, so the next call
// tries again. The returned DB is shared: its Close does nothing.
//
// opts apply to the DB the first call opens.
func Load(ctx context.Context, src Source, bucket, cityKey, asnKey, cacheDir string, maxAge time.Duration, opts ...Option) (*DB, error) {
	k := loadKey{bucket, cityKey, asnKey}
	loadMu.Lock()
	defer loadMu.Unlock()
	if db, ok := loaded[k]; ok {
		return db, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("geoip: cache directory: %w", err)
	}
	cityPath, err := fetch(ctx, src, bucket, cityKey, cacheDir, maxAge)
	if err != nil {
		return nil, err
	}
	asnPath, err := fetch(ctx, src, bucket, asnKey, cacheDir, maxAge)
	if err != nil {
		return nil, err
	}
	db, err := Open(cityPath, asnPath, opts...)
	if err != nil {
		// Do not let a bad file be reused for maxAge.
		for _, p := range []string{cityPath, asnPath} {
			if p != "" {
				os.Remove(p)
			}
		}
		return nil, fmt.Errorf("geoip: from s3://%s: %w", bucket, err)
	}
	db.shared = true
	loaded[k] = db
	return db, nil
}

// cachePath is the file in dir that holds s3://bucket/key.
func cachePath(dir, bucket, key string) string {
	return filepath.Join(dir, "geoip-"+url.PathEscape(bucket+"/"+key))
}

// fetch returns the local path of s3://bucket/key, downloading it unless a
// copy younger than maxAge is in dir; "" if key is empty or the object does
// not exist.
func fetch(ctx context.Context, src Source, bucket, key, dir string, maxAge time.Duration) (string, error) {
	if key == "" {
		return "", nil
	}
	p := cachePath(dir, bucket, key)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && time.Since(st.ModTime()) < maxAge {
		return p, nil
	}
	rc, err := src.Get(ctx, bucket, key)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("geoip: s3://%s/%s: %w", bucket, key, err)
	}
	defer rc.Close()
	// Write beside the target and rename, so a crash never leaves a
	// truncated file that looks fresh, and an open mapping of an older copy
	// keeps its own inode.
	f, err := os.CreateTemp(dir, filepath.Base(p)+".*.part")
	if err != nil {
		return "", fmt.Errorf("geoip: caching s3://%s/%s: %w", bucket, key, err)
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("geoip: caching s3://%s/%s: %w", bucket, key, err)
	}
	return p, nil
}
