package pipeline

// Indexing a load's documents: bulk-send, count, dead-letter what is
// refused, redirect read-only indices.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/bulk"
)

// sendBatchOr indexes a batch and counts the outcome; documents refused
// for good become dead letters (dead gets them without source, log type
// and time, which the caller adds). A read-only index (disk watermark, a
// manual block) sends its documents to the next index of the same name:
// <index>_02, _03... When notSent is nil an indexing error fails the
// call; otherwise notSent is handed the documents the error kept from
// being sent instead.
func (s *Steps) sendBatchOr(ctx context.Context, batch []bulk.Doc, counts *Counts, dead func(DeadLetter), notSent func([]bulk.Doc, error)) error {
	res, err := s.cfg.Indexer.Index(ctx, batch)
	if err != nil {
		if notSent == nil {
			return err
		}
		if !res.Accounted(len(batch)) {
			notSent(batch, err)
			return nil
		}
		// What was indexed or refused stays so; only the rest is not sent.
		notSent(res.NotSent, err)
	}
	counts.Indexed += res.Indexed
	failed := res.Failed
	for attempt := 0; attempt < maxRedirects && len(failed) > 0; attempt++ {
		var redirect []bulk.Doc
		var keep []bulk.Failure
		for _, f := range failed {
			if readOnly(f) {
				f.Doc.Index = nextIndex(f.Doc.Index)
				redirect = append(redirect, f.Doc)
			} else {
				keep = append(keep, f)
			}
		}
		if len(redirect) == 0 {
			break
		}
		slog.Warn("index read-only: documents redirected", "to", redirect[0].Index, "documents", len(redirect))
		res, err := s.cfg.Indexer.Index(ctx, redirect)
		if err != nil {
			if notSent == nil {
				return err
			}
			if !res.Accounted(len(redirect)) {
				notSent(redirect, err)
				failed = keep
				break
			}
			notSent(res.NotSent, err)
		}
		counts.Indexed += res.Indexed
		failed = append(keep, res.Failed...)
	}
	for _, f := range failed {
		counts.DeadLettered++
		counts.reason(fmt.Sprintf("OpenSearch %d %s", f.Status, f.Type))
		dead(DeadLetter{Step: "index", Record: f.Doc.Record, Reason: fmt.Sprintf("OpenSearch %d %s: %s", f.Status, f.Type, f.Reason), Index: f.Doc.Index, ID: f.Doc.ID, Doc: append(json.RawMessage(nil), f.Doc.Source...)})
	}
	return nil
}

// maxRedirects bounds the read-only redirections of one batch.
const maxRedirects = 5

// readOnly reports a refusal because the index is blocked for writes.
func readOnly(f bulk.Failure) bool {
	if f.Type != "cluster_block_exception" {
		return false
	}
	r := strings.ToLower(f.Reason)
	return strings.Contains(r, "read-only") || strings.Contains(r, "read_only") || strings.Contains(r, "index write")
}

var redirectSuffix = regexp.MustCompile(`^(.*)_(\d{2})$`)

// nextIndex is the index a read-only one's documents go to:
// log-aws-waf-2024-03 -> log-aws-waf-2024-03_02 -> ..._03.
func nextIndex(name string) string {
	if m := redirectSuffix.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[2])
		return fmt.Sprintf("%s_%02d", m[1], n+1)
	}
	return name + "_02"
}
