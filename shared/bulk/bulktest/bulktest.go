// Package bulktest holds an in-memory bulk.Indexer for tests. It lives
// apart from package bulk so that no production binary links a test fake.
package bulktest

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/siemloader/siem/shared/bulk"
)

// MemorySink keeps documents in memory (tests).
type MemorySink struct {
	mu   sync.Mutex
	docs []bulk.Doc
}

var _ bulk.Indexer = (*MemorySink)(nil)

// NewMemorySink returns an empty sink.
func NewMemorySink() *MemorySink { return &MemorySink{} }

// Index implements bulk.Indexer.
func (m *MemorySink) Index(_ context.Context, docs []bulk.Doc) (bulk.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range docs {
		d.Source = append(json.RawMessage(nil), d.Source...)
		m.docs = append(m.docs, d)
	}
	return bulk.Result{Indexed: len(docs), Requests: 1}, nil
}

// Docs returns a copy of the documents received so far.
func (m *MemorySink) Docs() []bulk.Doc {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]bulk.Doc(nil), m.docs...)
}
