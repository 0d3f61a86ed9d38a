// Package replay re-sends dead letters once their cause is fixed (a log
// type's definition corrected, an index mapping changed, the cluster back):
// parse and chunk dead letters are decoded and normalized again from their
// raw records, index dead letters are sent again as they are. Document ids
// are the same as the first time, so replaying twice never duplicates.
//
// A dead-letter file whose records all load is deleted; one with records
// that still fail is rewritten with only those, each with its new reason.
package replay

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/normalize"
	"github.com/siemloader/siem/shared/pipeline"
)

// Replayer re-sends the dead letters under a prefix of a store.
type Replayer struct {
	Store     blob.Store
	Bucket    string
	Registry  *logtype.Registry
	Indexer   bulk.Indexer
	Enrichers []pipeline.Enricher
	Now       func() time.Time
	// DryRun reports what would load without indexing or changing files.
	DryRun bool
}

// Report is what a replay did.
type Report struct {
	Files        int            `json:"files"`
	Records      int            `json:"records"`
	Indexed      int            `json:"indexed"`
	StillFailing int            `json:"still_failing"`
	FilesCleared int            `json:"files_cleared"`
	Reasons      map[string]int `json:"reasons,omitempty"`
}

// Run replays every dead-letter file under prefix.
func (r *Replayer) Run(ctx context.Context, prefix string) (Report, error) {
	rep := Report{Reasons: map[string]int{}}
	keys, err := r.Store.List(ctx, r.Bucket, prefix)
	if err != nil {
		return rep, err
	}
	for _, key := range keys {
		if !strings.HasSuffix(key, ".ndjson.gz") && !strings.HasSuffix(key, ".ndjson") {
			continue // dead letters are NDJSON, gzip in S3, plain in siem load's folder
		}
		if err := r.file(ctx, key, &rep); err != nil {
			return rep, fmt.Errorf("%s: %w", key, err)
		}
	}
	if len(rep.Reasons) == 0 {
		rep.Reasons = nil
	}
	return rep, nil
}

func (r *Replayer) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Replayer) file(ctx context.Context, key string, rep *Report) error {
	letters, err := r.read(ctx, key)
	if err != nil {
		return err
	}
	rep.Files++
	rep.Records += len(letters)
	var failing []pipeline.DeadLetter
	fail := func(dl pipeline.DeadLetter, reason string) {
		dl.Reason = "replay: " + reason
		dl.Time = normalize.FormatTime(r.now())
		failing = append(failing, dl)
		rep.Reasons[class(reason)]++
	}
	var docs []bulk.Doc
	letterOf := map[string]pipeline.DeadLetter{}
	// A file's letters are of one chunk, so of one log type or a few
	// (CloudWatch Logs routing): each format is resolved once, not per
	// letter.
	formats := map[*logtype.Definition]*format.Format{}
	for _, dl := range letters {
		d, err := r.document(dl, formats)
		if err != nil {
			fail(dl, err.Error())
			continue
		}
		docs = append(docs, d)
		letterOf[d.Index+"\x00"+d.ID] = dl
	}
	if !r.DryRun && len(docs) > 0 {
		if r.Indexer == nil {
			return errors.New("no OpenSearch to replay into")
		}
		res, err := r.Indexer.Index(ctx, docs)
		if err != nil {
			return err // throttled or down: nothing changed, replay later
		}
		rep.Indexed += res.Indexed
		for _, f := range res.Failed {
			dl := letterOf[f.Doc.Index+"\x00"+f.Doc.ID]
			if dl.Step != "index" {
				// Keep the document now, so the next replay sends it as is.
				dl = pipeline.DeadLetter{Step: "index", Source: dl.Source, LogType: dl.LogType, Record: dl.Record, Index: f.Doc.Index, ID: f.Doc.ID, Doc: f.Doc.Source}
			}
			fail(dl, fmt.Sprintf("OpenSearch %d %s: %s", f.Status, f.Type, f.Reason))
		}
	} else {
		rep.Indexed += len(docs)
	}
	rep.StillFailing += len(failing)
	if r.DryRun {
		return nil
	}
	if len(failing) == 0 {
		rep.FilesCleared++
		return r.Store.Delete(ctx, r.Bucket, key)
	}
	return r.Store.Put(ctx, r.Bucket, key, encode(failing, strings.HasSuffix(key, ".gz")))
}

// document rebuilds the document a dead letter stands for; formats
// holds the formats already resolved, by log type.
func (r *Replayer) document(dl pipeline.DeadLetter, formats map[*logtype.Definition]*format.Format) (bulk.Doc, error) {
	switch dl.Step {
	case "index":
		if len(dl.Doc) == 0 || dl.Index == "" || dl.ID == "" {
			return bulk.Doc{}, errors.New("index dead letter without its document")
		}
		return bulk.Doc{Index: dl.Index, ID: dl.ID, Record: dl.Record, Source: dl.Doc}, nil
	case "parse", "chunk":
		def := r.Registry.Get(dl.LogType)
		if def == nil {
			return bulk.Doc{}, fmt.Errorf("unknown log type %q", dl.LogType)
		}
		if dl.Raw == "" {
			return bulk.Doc{}, errors.New("no raw record kept (the object was unreadable from here on): load the object again")
		}
		bucket, key, _ := strings.Cut(strings.TrimPrefix(dl.Source, "s3://"), "/")
		f, ok := formats[def]
		if !ok {
			var err error
			if f, err = format.Resolve(def); err != nil {
				return bulk.Doc{}, err
			}
			formats[def] = f
		}
		rec := format.Record{Num: dl.Record, Raw: []byte(dl.Raw)}
		dec, _, err := f.DecodeRouted(def, rec, nil)
		if err != nil {
			return bulk.Doc{}, err
		}
		o, err := normalize.New(def, normalize.Source{Bucket: bucket, Key: key}, r.now()).Normalize(rec.Raw, dec)
		if err != nil {
			return bulk.Doc{}, err
		}
		for _, e := range r.Enrichers {
			e.Enrich(o.Doc, def)
		}
		b, err := doc.AppendJSON(nil, o.Doc)
		if err != nil {
			return bulk.Doc{}, err
		}
		return bulk.Doc{Index: o.Index, ID: o.ID, Record: dl.Record, Source: b}, nil
	default:
		return bulk.Doc{}, fmt.Errorf("unknown dead-letter step %q", dl.Step)
	}
}

func (r *Replayer) read(ctx context.Context, key string) ([]pipeline.DeadLetter, error) {
	rc, err := r.Store.Get(ctx, r.Bucket, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	zr, err := format.Decompress(rc)
	if err != nil {
		return nil, err
	}
	var out []pipeline.DeadLetter
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var dl pipeline.DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &dl); err != nil {
			return nil, fmt.Errorf("dead letter %d: %w", len(out)+1, err)
		}
		out = append(out, dl)
	}
	return out, sc.Err()
}

func encode(letters []pipeline.DeadLetter, gz bool) []byte {
	sort.SliceStable(letters, func(i, j int) bool { return letters[i].Record < letters[j].Record })
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	for _, dl := range letters {
		enc.Encode(dl)
	}
	if !gz {
		return plain.Bytes()
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain.Bytes())
	zw.Close()
	return buf.Bytes()
}

// class shortens a reason for the report's counts.
func class(r string) string {
	if i := strings.IndexAny(r, ":("); i > 0 {
		r = r[:i]
	}
	return strings.TrimSpace(r)
}
