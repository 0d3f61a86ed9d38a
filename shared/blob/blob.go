// Package blob is the object storage the steps read and write: S3 in
// Lambda, a directory on a laptop (memory in tests: package blobtest).
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNotFound is returned (wrapped) when an object does not exist. It is
// fs.ErrNotExist so callers may test either.
var ErrNotFound = fs.ErrNotExist

// Info describes an object.
type Info struct {
	Size int64
}

// Store is the object storage interface the steps need.
type Store interface {
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
	Head(ctx context.Context, bucket, key string) (Info, error)
	Put(ctx context.Context, bucket, key string, body []byte) error
	List(ctx context.Context, bucket, prefix string) ([]string, error)
	// Delete removes an object; a missing object is not an error.
	Delete(ctx context.Context, bucket, key string) error
}

// Dir stores objects as files under Root/<bucket>/<key>.
type Dir struct{ Root string }

func (d Dir) path(bucket, key string) (string, error) {
	p := filepath.Join(d.Root, bucket, filepath.FromSlash(key))
	if !strings.HasPrefix(p, filepath.Clean(d.Root)+string(filepath.Separator)) {
		return "", fmt.Errorf("key %q escapes the store root", key)
	}
	return p, nil
}

func (d Dir) Get(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	p, err := d.path(bucket, key)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (d Dir) Head(_ context.Context, bucket, key string) (Info, error) {
	p, err := d.path(bucket, key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return Info{}, err
	}
	return Info{Size: st.Size()}, nil
}

func (d Dir) Put(_ context.Context, bucket, key string, body []byte) error {
	p, err := d.path(bucket, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, body, 0o644)
}

func (d Dir) Delete(_ context.Context, bucket, key string) error {
	p, err := d.path(bucket, key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (d Dir) List(_ context.Context, bucket, prefix string) ([]string, error) {
	base := filepath.Join(d.Root, bucket)
	var keys []string
	err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(base, p)
		k := filepath.ToSlash(rel)
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	sort.Strings(keys)
	return keys, err
}
