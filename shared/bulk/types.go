package bulk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Doc is one document ready for indexing.
type Doc struct {
	Index  string          `json:"_index"`
	ID     string          `json:"_id"`
	Record int             `json:"record"`
	Source json.RawMessage `json:"_source"`
	// Encoded says Source was written by doc.AppendJSON in this process:
	// a valid one-line JSON object that need not be checked again. It is
	// an in-process promise to the indexer, so it lives here and is never
	// stored: documents read back from a dead letter (siem replay) come
	// without it and are checked.
	Encoded bool `json:"-"`
}

// Failure is a document OpenSearch refused for good.
type Failure struct {
	Doc    Doc
	Status int
	Type   string
	Reason string
}

// Result of indexing a batch of documents.
type Result struct {
	Indexed  int
	Failed   []Failure
	Requests int
	Took     time.Duration
	// Throttled counts the HTTP 429 answers to whole bulk requests and
	// ItemsThrottled the documents a bulk response answered 429, each
	// time (the client retried them; they may have been indexed after).
	Throttled      int
	ItemsThrottled int
	// NotSent, with an error, lists the documents neither indexed nor
	// refused for good: the ones to send again (Client fills it; then
	// Indexed + len(Failed) + len(NotSent) is the number of documents).
	NotSent []Doc
}

// Accounted reports whether r says what became of each of n documents
// (indexed, refused or not sent), as Client's results do even with an
// error.
func (r Result) Accounted(n int) bool {
	return r.Indexed+len(r.Failed)+len(r.NotSent) == n
}

// Indexer indexes documents.
//
// Callers may reuse the memory of the documents' sources once Index has
// returned (the fused load path does), so an Indexer that keeps documents
// copies them, and Result.Failed is read before the next call.
type Indexer interface {
	Index(ctx context.Context, docs []Doc) (Result, error)
}

// RetryableError means "try the whole call again later". Its type name is
// the Lambda errorType the state machine retries.
type RetryableError struct {
	Status int
	Reason string
	Err    error
}

func (e *RetryableError) Error() string {
	msg := "retryable"
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RetryableError) Unwrap() error { return e.Err }
