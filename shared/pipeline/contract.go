// Package pipeline holds the ingest steps and the JSON contracts between
// them. The Lambda handlers in functions/ and the local runner in cmd/siem
// call the same code.
//
// Two steps are deployed: split (plan, cut, dead-letter, summarize) and
// load, which parses, enriches and indexes a chunk or a batch of small
// objects in one pass, so a document is decoded once and encoded once
// and never staged. Enrichment is not a step of its own because the
// enrichers are functions of the document in memory: a separate step
// would only add a staged write, a read and a re-decode per document.
//
// State payloads never carry records: records travel as S3 objects
// (source objects, staged chunk files) and the state carries references
// and counts.
package pipeline

// ObjectRef names an S3 object.
type ObjectRef struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// SplitInput is the ingest state machine's input. It accepts the EventBridge
// "Object Created" event as delivered (detail.bucket.name,
// detail.object.key, detail.object.size) or a plain {bucket, key} for
// backfills and manual starts. LogType forces a log type.
type SplitInput struct {
	Detail *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key  string `json:"key"`
			Size *int64 `json:"size,omitempty"`
		} `json:"object"`
	} `json:"detail,omitempty"`
	Bucket string `json:"bucket,omitempty"`
	// Key is the decoded key (this form comes from the dispatcher or a
	// user, not from S3); Size, when known, saves split a HEAD request.
	Key     string `json:"key,omitempty"`
	Size    *int64 `json:"size,omitempty"`
	LogType string `json:"log_type,omitempty"`
}

// Chunk is one unit of parse work: either a whole source object (the inline
// path) or a staged chunk file of framed records.
type Chunk struct {
	Source  ObjectRef `json:"source"`
	LogType string    `json:"log_type"`
	// Data is the object to read: the source itself when Staged is false.
	Data   ObjectRef `json:"data"`
	Staged bool      `json:"staged"`
	Seq    int       `json:"seq"`
	// Records is the number of framed records in a staged chunk (0 when the
	// chunk is the whole source and was not framed by split).
	Records int `json:"records"`
	// RowGroups, for a Parquet source cut by split, is the half-open range
	// [first, end) of row groups this chunk reads from the source (with
	// range reads: nothing is staged).
	RowGroups *[2]int `json:"row_groups,omitempty"`
}

// wholeSource reports a chunk that is its whole source object, read as
// it is stored (the inline path): not one of the staged chunk files or
// row-group runs split cut the object into.
func (c Chunk) wholeSource() bool {
	return c.Seq == 0 && !c.Staged && c.RowGroups == nil
}

// Counts is the per-step accounting. The identity every step keeps is
// RecordsIn == Indexed + DeadLettered + Skipped once indexing is done;
// before that, Pending holds documents not yet indexed.
type Counts struct {
	RecordsIn    int `json:"records_in"`
	Pending      int `json:"pending"`
	Indexed      int `json:"indexed"`
	DeadLettered int `json:"dead_lettered"`
	Skipped      int `json:"skipped"`
	// Reasons counts dead letters and skips by reason.
	Reasons map[string]int `json:"reasons,omitempty"`
	// Matched counts records that matched a COUNT exclusion rule, by
	// rule name; they are loaded (or dead-lettered) as usual.
	Matched map[string]int `json:"matched,omitempty"`
}

// SplitOutput tells the state machine what to do with the object.
type SplitOutput struct {
	Source     ObjectRef `json:"source"`
	LogType    string    `json:"log_type,omitempty"`
	Skipped    bool      `json:"skipped"`
	SkipReason string    `json:"skip_reason,omitempty"`
	ChunkCount int       `json:"chunk_count"`
	// Chunk is set when ChunkCount == 1 (no Map run).
	Chunk *Chunk `json:"chunk,omitempty"`
	// Manifest is set when ChunkCount > 1: a JSON array of Chunk read by the
	// Distributed Map's ItemReader.
	Manifest *ObjectRef `json:"manifest,omitempty"`
	Counts   Counts     `json:"counts"`
}

// StepOutput is what load_chunk and fail_chunk return: the chunk and its
// counts.
type StepOutput struct {
	Chunk Chunk `json:"chunk"`
	// Docs is always empty: documents are never staged. It named the
	// staged document file of the earlier three-step path and stays so
	// the output's shape (what state machines and Summarize see) does
	// not change.
	Docs   ObjectRef `json:"docs"`
	Counts Counts    `json:"counts"`
	// Stats are the load step's figures for metrics (not accounting).
	Stats *LoadStats `json:"stats,omitempty"`
}

// LoadStats are what a load did beyond the accounting: the freshness of
// its records and how the cluster answered. The handler turns them into
// metrics (see metrics.go).
type LoadStats struct {
	// NewestRecord is the @timestamp of the newest record indexed
	// (RFC 3339), for the ingest lag.
	NewestRecord string `json:"newest_record,omitempty"`
	// BulkRequests and BulkMillis: bulk calls made and the time spent in
	// them; BulkRetryable: calls that failed retryably (throttling, 5xx)
	// after the client's own retries.
	BulkRequests  int   `json:"bulk_requests,omitempty"`
	BulkMillis    int64 `json:"bulk_ms,omitempty"`
	BulkRetryable int   `json:"bulk_retryable,omitempty"`
	// BulkThrottled: HTTP 429 answers to bulk requests; BulkItemsThrottled:
	// documents answered 429 inside bulk responses (each retried).
	BulkThrottled      int `json:"bulk_throttled,omitempty"`
	BulkItemsThrottled int `json:"bulk_items_throttled,omitempty"`
}

func (l *LoadStats) add(o *LoadStats) {
	if o == nil {
		return
	}
	if newer(o.NewestRecord, l.NewestRecord) {
		l.NewestRecord = o.NewestRecord
	}
	l.BulkRequests += o.BulkRequests
	l.BulkMillis += o.BulkMillis
	l.BulkRetryable += o.BulkRetryable
	l.BulkThrottled += o.BulkThrottled
	l.BulkItemsThrottled += o.BulkItemsThrottled
}

// newer compares @timestamp values to the second (their fractions are
// trimmed of trailing zeros, so whole strings do not sort).
func newer(a, b string) bool {
	if len(a) < 19 {
		return false
	}
	if len(b) < 19 {
		return true
	}
	return a[:19] > b[:19]
}

// ChunkFailure is the parse function's input from the state machine's Catch
// when a chunk failed all retries: its records are dead-lettered whole so
// nothing is lost.
type ChunkFailure struct {
	Chunk Chunk `json:"chunk"`
	Error struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error"`
}

// Summary is the split function's answer to the summarize action: the
// totals of a Map run.
type Summary struct {
	Source  ObjectRef `json:"source"`
	LogType string    `json:"log_type"`
	Chunks  int       `json:"chunks"`
	// FailedChunks counts chunks dead-lettered whole after all retries;
	// the state machine fails the execution when it is not zero.
	FailedChunks int    `json:"failed_chunks"`
	Counts       Counts `json:"counts"`
}

// ErrorRetryable is the error type name (Lambda errorType) the state
// machine retries with backoff: throttling and transient failures.
const ErrorRetryable = "RetryableError"
