package pipeline

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/siemloader/siem/shared/emf"
)

// Metric names the load and split functions publish (namespace
// SIEMLoader, dimensions Function and LogType, and Function alone for the
// totals). README, "Operating it", documents them.
const (
	MetricRecordsIn      = "RecordsIn"
	MetricIndexed        = "Indexed"
	MetricDeadLettered   = "DeadLettered"
	MetricSkipped        = "Skipped"
	MetricBytesIn        = "BytesIn"
	MetricObjectsLoaded  = "ObjectsLoaded"
	MetricObjectsFailed  = "ObjectsFailed"
	MetricObjectsSkipped = "ObjectsSkipped"
	MetricRecordLag      = "RecordLagSeconds"
	MetricBulkRequests   = "BulkRequests"
	MetricBulkTime       = "BulkTime"
	MetricBulkRetryable  = "BulkRetryableErrors"
	// MetricBulkThrottled counts HTTP 429 answers to bulk requests and
	// MetricBulkItemsThrottled documents answered 429 in bulk responses,
	// retried or not: the cluster pushing back before it fails anything.
	MetricBulkThrottled      = "BulkThrottled"
	MetricBulkItemsThrottled = "BulkItemsThrottled"
)

// typeFigures are one log type's figures in one invocation.
type typeFigures struct {
	counts                  Counts
	stats                   LoadStats
	loaded, failed, skipped int
	bytes                   int64
}

// MetricLines turns an action's answer into EMF lines: one per log type
// it touched, each also rolled up over log types. What an answer
// publishes depends on its action (Handler passes the one it ran):
//
//   - load_batch and fail_batch: each object's counts and figures, and
//     whether it was loaded, failed or skipped;
//   - load_chunk and fail_chunk: the chunk's counts and figures, and,
//     when the chunk is a whole object (Chunk.wholeSource), a loaded
//     object (load_chunk) or a failed one (fail_chunk);
//   - split: only a skipped object (a plan is no news yet);
//   - summarize: nothing, since it adds up what the chunks published.
//
// An unknown action publishes nothing, and so does an answer without
// its action's members.
func MetricLines(function string, action Action, out []byte, now time.Time) []emf.Line {
	by := map[string]*typeFigures{}
	fig := func(t string) *typeFigures {
		if t == "" {
			t = "unknown"
		}
		if by[t] == nil {
			by[t] = &typeFigures{}
		}
		return by[t]
	}
	switch action {
	case ActionLoadBatch, ActionFailBatch:
		var b struct {
			Objects []BatchObject `json:"objects"`
		}
		if json.Unmarshal(out, &b) != nil {
			return nil
		}
		for _, o := range b.Objects {
			f := fig(o.LogType)
			f.counts.Add(o.Counts)
			f.stats.add(o.Stats)
			f.bytes += o.Bytes
			switch {
			case o.Failed:
				f.failed++
			case o.SkipReason != "":
				f.skipped++
			default:
				f.loaded++
			}
		}
	case ActionLoadChunk, ActionFailChunk:
		var c struct {
			Chunk  *Chunk     `json:"chunk"`
			Counts *Counts    `json:"counts"`
			Stats  *LoadStats `json:"stats"`
		}
		if json.Unmarshal(out, &c) != nil || c.Chunk == nil || c.Counts == nil {
			return nil
		}
		f := fig(c.Chunk.LogType)
		f.counts.Add(*c.Counts)
		f.stats.add(c.Stats)
		if c.Chunk.wholeSource() {
			// A whole object in one chunk: loaded, or, when its load
			// failed and fail_chunk dead-lettered it, failed (as
			// fail_batch counts its objects).
			if action == ActionFailChunk {
				f.failed++
			} else {
				f.loaded++
			}
		}
	case ActionSplit:
		var sp SplitOutput
		if json.Unmarshal(out, &sp) != nil || !sp.Skipped {
			return nil
		}
		fig(sp.LogType).skipped++
	default: // ActionSummarize, and any action this list does not know
		return nil
	}
	types := make([]string, 0, len(by))
	for t := range by {
		types = append(types, t)
	}
	sort.Strings(types)
	lines := make([]emf.Line, 0, len(types))
	for _, t := range types {
		f := by[t]
		c := f.counts
		ms := []emf.Metric{
			{Name: MetricRecordsIn, Value: float64(c.RecordsIn), Unit: emf.Count},
			{Name: MetricIndexed, Value: float64(c.Indexed), Unit: emf.Count},
			{Name: MetricDeadLettered, Value: float64(c.DeadLettered), Unit: emf.Count},
			{Name: MetricSkipped, Value: float64(c.Skipped), Unit: emf.Count},
		}
		if f.bytes > 0 {
			ms = append(ms, emf.Metric{Name: MetricBytesIn, Value: float64(f.bytes), Unit: emf.Bytes})
		}
		for _, m := range []struct {
			name string
			n    int
		}{{MetricObjectsLoaded, f.loaded}, {MetricObjectsFailed, f.failed}, {MetricObjectsSkipped, f.skipped}} {
			if m.n > 0 {
				ms = append(ms, emf.Metric{Name: m.name, Value: float64(m.n), Unit: emf.Count})
			}
		}
		if s := f.stats; s.BulkRequests > 0 {
			ms = append(ms,
				emf.Metric{Name: MetricBulkRequests, Value: float64(s.BulkRequests), Unit: emf.Count},
				emf.Metric{Name: MetricBulkTime, Value: float64(s.BulkMillis), Unit: emf.Milliseconds},
				emf.Metric{Name: MetricBulkRetryable, Value: float64(s.BulkRetryable), Unit: emf.Count},
				emf.Metric{Name: MetricBulkThrottled, Value: float64(s.BulkThrottled), Unit: emf.Count},
				emf.Metric{Name: MetricBulkItemsThrottled, Value: float64(s.BulkItemsThrottled), Unit: emf.Count})
		}
		if ts, err := time.Parse(time.RFC3339Nano, f.stats.NewestRecord); err == nil {
			lag := now.Sub(ts).Seconds()
			if lag < 0 {
				lag = 0
			}
			ms = append(ms, emf.Metric{Name: MetricRecordLag, Value: lag, Unit: emf.Seconds})
		}
		lines = append(lines, emf.Line{
			Dimensions: map[string]string{"Function": function, "LogType": t},
			Rollup:     []string{"LogType"},
			Metrics:    ms,
		})
	}
	return lines
}
