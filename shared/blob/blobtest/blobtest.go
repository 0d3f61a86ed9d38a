// Package blobtest holds an in-memory blob.Store for tests. It lives apart
// from package blob so that no production binary links a test fake.
package blobtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/siemloader/siem/shared/blob"
)

// Memory is an in-memory store for tests. It implements blob.Store and
// blob.RangeReader.
type Memory struct {
	mu   sync.Mutex
	objs map[string][]byte
}

var (
	_ blob.Store       = (*Memory)(nil)
	_ blob.RangeReader = (*Memory)(nil)
)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{objs: map[string][]byte{}} }

func (m *Memory) Get(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, blob.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *Memory) Head(_ context.Context, bucket, key string) (blob.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[bucket+"/"+key]
	if !ok {
		return blob.Info{}, fmt.Errorf("s3://%s/%s: %w", bucket, key, blob.ErrNotFound)
	}
	return blob.Info{Size: int64(len(b))}, nil
}

func (m *Memory) Put(_ context.Context, bucket, key string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[bucket+"/"+key] = append([]byte(nil), body...)
	return nil
}

func (m *Memory) Delete(_ context.Context, bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, bucket+"/"+key)
	return nil
}

func (m *Memory) List(_ context.Context, bucket, prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.objs {
		if b, key, _ := strings.Cut(k, "/"); b == bucket && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

func (m *Memory) GetRange(_ context.Context, bucket, key string, off, n int64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, blob.ErrNotFound)
	}
	if off > int64(len(b)) {
		return nil, nil
	}
	end := min(off+n, int64(len(b)))
	return append([]byte(nil), b[off:end]...), nil
}
