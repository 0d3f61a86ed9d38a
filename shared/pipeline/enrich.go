package pipeline

// The enrich step of the three-step path (staged documents in and out).

import (
	"context"
	"fmt"

	"github.com/siemloader/siem/shared/doc"
)

// Enrich runs the enrichers over a parsed document file.
func (s *Steps) Enrich(ctx context.Context, in StepOutput) (StepOutput, error) {
	if len(s.cfg.Enrichers) == 0 || in.Counts.Pending == 0 {
		return in, nil
	}
	def := s.cfg.Registry.Get(in.Chunk.LogType)
	if def == nil {
		return StepOutput{}, fmt.Errorf("unknown log type %q", in.Chunk.LogType)
	}
	w := newDocWriter()
	err := s.readDocs(ctx, in.Docs, func(d StagedDoc) error {
		v, err := doc.Decode(d.Source)
		if err != nil {
			return fmt.Errorf("document %s: %w", d.ID, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("document %s is not a JSON object", d.ID)
		}
		ddef := def
		if lt, _ := m["@log_type"].(string); lt != def.Name {
			// A CloudWatch Logs event routed to its log group's type.
			if rd := s.cfg.Registry.Get(lt); rd != nil {
				ddef = rd
			}
		}
		for _, e := range s.cfg.Enrichers {
			e.Enrich(m, ddef)
		}
		b, err := doc.AppendJSON(nil, m)
		if err != nil {
			return fmt.Errorf("document %s: %w", d.ID, err)
		}
		d.Source = b
		w.add(d)
		return nil
	})
	if err != nil {
		return StepOutput{}, err
	}
	out := in
	out.Docs = ObjectRef{Bucket: s.cfg.StagingBucket, Key: stagingKey("docs", in.Chunk.Source, fmt.Sprintf("%05d.enriched.ndjson.gz", in.Chunk.Seq))}
	if err := s.cfg.Store.Put(ctx, out.Docs.Bucket, out.Docs.Key, w.bytes()); err != nil {
		return StepOutput{}, storeError(err)
	}
	return out, nil
}
