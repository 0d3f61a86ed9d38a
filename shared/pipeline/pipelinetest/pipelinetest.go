// Package pipelinetest builds steps over an in-memory store seeded with the
// repository's demo objects, for tests that drive handlers with events/.
package pipelinetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/pipeline"
)

// Buckets named by the files in events/.
const (
	LogBucket     = "siem-logs-123456789012-us-east-1"
	StagingBucket = "siem-staging-123456789012"
)

// Env is an in-memory deployment.
type Env struct {
	Store *blobtest.Memory
	Sink  *bulktest.MemorySink
	Steps *pipeline.Steps
}

// New seeds LogBucket with every file under demoDir (keys relative to it).
func New(t testing.TB, demoDir string) *Env {
	t.Helper()
	e := &Env{Store: blobtest.NewMemory(), Sink: bulktest.NewMemorySink()}
	err := filepath.Walk(demoDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(demoDir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return e.Store.Put(context.Background(), LogBucket, filepath.ToSlash(rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Steps, err = pipeline.NewSteps(pipeline.StepsConfig{
		Store: e.Store, StagingBucket: StagingBucket, Indexer: e.Sink,
		Now: func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Event reads an events/ file.
func Event(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
