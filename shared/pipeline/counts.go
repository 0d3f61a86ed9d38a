package pipeline

// Counts: what every step reports, and how a Map's results add up.

import (
	"encoding/json"
	"fmt"
	"strings"
)

func (c *Counts) reason(r string) {
	if c.Reasons == nil {
		c.Reasons = map[string]int{}
	}
	c.Reasons[r]++
}

func (c *Counts) matched(rule string) {
	if c.Matched == nil {
		c.Matched = map[string]int{}
	}
	c.Matched[rule]++
}

// reasonClass shortens a reason to its class for the counts table (the full
// reason is in the dead letter).
func reasonClass(r string) string {
	if i := strings.IndexAny(r, ":("); i > 0 {
		r = r[:i]
	}
	return strings.TrimSpace(r)
}

// Summarize adds up the results of a Map run. Items are the children's
// counts ({"counts": ...}, or whole step outputs) or the state machine's
// failure markers ({"failed": true, "counts": ...}).
func Summarize(items []json.RawMessage) (Summary, error) {
	var sum Summary
	for i, raw := range items {
		var it struct {
			StepOutput
			Failed bool `json:"failed"`
		}
		if err := json.Unmarshal(raw, &it); err != nil {
			return Summary{}, fmt.Errorf("map result %d: %w", i, err)
		}
		so := it.StepOutput
		if sum.LogType == "" {
			sum.Source, sum.LogType = so.Chunk.Source, so.Chunk.LogType
		}
		sum.Chunks++
		if it.Failed {
			sum.FailedChunks++
		}
		sum.Counts.Add(so.Counts)
	}
	return sum, nil
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.RecordsIn += o.RecordsIn
	c.Pending += o.Pending
	c.Indexed += o.Indexed
	c.DeadLettered += o.DeadLettered
	c.Skipped += o.Skipped
	for k, v := range o.Reasons {
		if c.Reasons == nil {
			c.Reasons = map[string]int{}
		}
		c.Reasons[k] += v
	}
	for k, v := range o.Matched {
		if c.Matched == nil {
			c.Matched = map[string]int{}
		}
		c.Matched[k] += v
	}
}
