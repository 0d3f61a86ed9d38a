package ioc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siemloader/siem/shared/blob"
)

// Where the IoC state machine stores the database in the geo bucket: the
// database, then a small marker holding its version, written last so a
// reader never sees a version whose database is not there yet.
const (
	DBKey      = "IOC/ioc.json.gz"
	VersionKey = "IOC/ioc.version"
)

// Source keeps a container's copy of the database current: loaded on
// first use, and reloaded when the version marker changes (checked at
// most every Every). A failed refresh keeps the copy it has.
type Source struct {
	Store  blob.Store
	Bucket string
	Every  time.Duration
	Now    func() time.Time
	// Options apply to each database loaded (CacheSize...).
	Options []Option

	mu      sync.Mutex
	db      *DB
	version string
	checked time.Time

	// The enrich step asks for the database once per document: until the
	// next check is due, current answers without taking mu (goroutines
	// enriching chunks in parallel do not contend on it).
	current atomic.Pointer[DB]
	due     atomic.Int64 // UnixNano of checked+Every; 0 before the first check
}

// DB returns the current database, or nil when none was ever built.
func (s *Source) DB(ctx context.Context) *DB {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	if due := s.due.Load(); due != 0 && now.UnixNano() < due {
		return s.current.Load()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	db := s.refresh(ctx, now)
	s.current.Store(db)
	s.due.Store(s.checked.Add(s.every()).UnixNano())
	return db
}

func (s *Source) every() time.Duration {
	if s.Every == 0 {
		return 15 * time.Minute
	}
	return s.Every
}

// refresh is DB under mu: the check of the version marker, when due.
func (s *Source) refresh(ctx context.Context, now time.Time) *DB {
	if !s.checked.IsZero() && now.Sub(s.checked) < s.every() {
		return s.db
	}
	s.checked = now
	version, err := s.read(ctx, VersionKey)
	if err != nil {
		if !errors.Is(err, blob.ErrNotFound) {
			slog.Warn("IoC database version check failed; keeping the loaded copy", "error", err)
		}
		return s.db
	}
	version = strings.TrimSpace(version)
	if s.db != nil && version == s.version {
		return s.db
	}
	rc, err := s.Store.Get(ctx, s.Bucket, DBKey)
	if err != nil {
		slog.Warn("IoC database download failed; keeping the loaded copy", "error", err)
		return s.db
	}
	defer rc.Close()
	db, err := Load(rc, s.Options...)
	if err != nil {
		slog.Warn("IoC database unreadable; keeping the loaded copy", "error", err)
		return s.db
	}
	s.db, s.version = db, version
	slog.Info("IoC database loaded", "version", db.Version, "indicators", db.Len())
	return s.db
}

func (s *Source) read(ctx context.Context, key string) (string, error) {
	rc, err := s.Store.Get(ctx, s.Bucket, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 256))
	return string(b), err
}
