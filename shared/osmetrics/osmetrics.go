// Package osmetrics is the index metrics exporter the reference runs
// hourly (reference-spec §5.8): it reads the cluster's index and shard
// statistics and writes them as one gzip NDJSON object into the log
// bucket under AWSLogs/<account>/OpenSearch/metrics/<region>/YYYY/MM/DD/,
// which the loader then reads as the index-metrics log type (its
// documents carry their own @timestamp) into metrics-opensearch-index-*.
//
// A managed cluster (OpenSearch Service or self-managed) gives one index
// document per index (from _cat/indices per storage tier and _stats) and
// one shard document per shard (_cat/shards); OpenSearch Serverless,
// which has neither _stats nor _cat/shards, one index document per index
// with its document counts.
package osmetrics

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cluster sends one request to OpenSearch (bulk.Client implements it).
type Cluster interface {
	Request(ctx context.Context, method, path string, body []byte) (int, []byte, error)
}

// Putter writes the output object (blob.S3 implements it).
type Putter interface {
	Put(ctx context.Context, bucket, key string, body []byte) error
}

// Period is the exporter's schedule, written into every document.
const Period = time.Hour

// Exporter reads a cluster's metrics and writes them to the log bucket.
type Exporter struct {
	Cluster Cluster
	Store   Putter
	// Bucket, Account and Region place the object:
	// s3://Bucket/AWSLogs/Account/OpenSearch/metrics/Region/YYYY/MM/DD/.
	Bucket, Account, Region string
	// Serverless: an OpenSearch Serverless collection; Collection is its
	// name and Endpoint its URL (the first label is the collection id).
	Serverless bool
	Collection string
	Endpoint   string
	Now        func() time.Time
	// ID makes the object's name unique (default: 16 random bytes, hex).
	ID func() string
}

// Result says what one run wrote.
type Result struct {
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	Indices int    `json:"indices"`
	Shards  int    `json:"shards"`
}

// Run collects the metrics and writes the object.
func (e Exporter) Run(ctx context.Context) (Result, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	t := now().UTC()
	docs, indices, shards, err := e.Collect(ctx, t)
	if err != nil {
		return Result{}, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			return Result{}, err
		}
		zw.Write(b)
		zw.Write([]byte{'\n'})
	}
	if err := zw.Close(); err != nil {
		return Result{}, err
	}
	id := e.ID
	if id == nil {
		id = randomID
	}
	key := fmt.Sprintf("AWSLogs/%s/OpenSearch/metrics/%s/%s/aos_index_metrics_%s.json.gz", e.Account, e.Region, t.Format("2006/01/02"), id())
	if err := e.Store.Put(ctx, e.Bucket, key, buf.Bytes()); err != nil {
		return Result{}, err
	}
	return Result{Bucket: e.Bucket, Key: key, Indices: indices, Shards: shards}, nil
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// doc is one output document.
type doc = map[string]any

// Collect returns the documents of one run, stamped t: the index
// documents (sorted by index name), then the shard documents.
func (e Exporter) Collect(ctx context.Context, t time.Time) ([]doc, int, int, error) {
	ts := t.UTC().Format("2006-01-02T15:04:05.000Z")
	if e.Serverless {
		return e.collectServerless(ctx, ts)
	}
	var root struct {
		ClusterName string `json:"cluster_name"`
		ClusterUUID string `json:"cluster_uuid"`
	}
	if err := e.get(ctx, "/", &root); err != nil {
		return nil, 0, 0, err
	}
	// OpenSearch Service names clusters <account>:<domain>.
	name := root.ClusterName
	if _, after, ok := strings.Cut(name, ":"); ok {
		name = after
	}
	cluster := doc{"id": root.ClusterUUID, "name": name}

	type catIndex struct {
		Health       string `json:"health"`
		Status       string `json:"status"`
		Index        string `json:"index"`
		UUID         string `json:"uuid"`
		CreationDate string `json:"creation.date.string"`
		Pri          string `json:"pri"`
		Rep          string `json:"rep"`
	}
	const catCols = "?h=health,status,index,uuid,creation.date.string,pri,rep&expand_wildcards=all&format=json"
	tiers := map[string]string{}
	var cat []catIndex
	for _, tier := range []string{"hot", "warm"} {
		var rows []catIndex
		status, err := e.getStatus(ctx, "/_cat/indices/_"+tier+catCols, &rows)
		if err != nil {
			return nil, 0, 0, err
		}
		if status != 200 {
			if tier == "hot" {
				// No UltraWarm tiers (self-managed OpenSearch): every index is hot.
				if err := e.get(ctx, "/_cat/indices"+catCols, &rows); err != nil {
					return nil, 0, 0, err
				}
			} else {
				continue
			}
		}
		for _, r := range rows {
			if _, dup := tiers[r.Index]; !dup {
				tiers[r.Index] = tier
				cat = append(cat, r)
			}
		}
	}
	var stats struct {
		Indices map[string]struct {
			UUID      string         `json:"uuid"`
			Primaries map[string]any `json:"primaries"`
			Total     map[string]any `json:"total"`
		} `json:"indices"`
	}
	if err := e.get(ctx, "/_stats/docs,indexing,merge,refresh,segments,store,fielddata,search", &stats); err != nil {
		return nil, 0, 0, err
	}
	sort.Slice(cat, func(i, j int) bool { return cat[i].Index < cat[j].Index })
	var out []doc
	indexInfo := map[string]doc{}
	for _, c := range cat {
		tier := tiers[c.Index]
		idx := doc{"name": c.Index, "status": c.Health, "index_status": c.Status, "storage_tier": tier}
		indexInfo[c.Index] = doc{"name": c.Index, "status": c.Health, "index_status": c.Status, "storage_tier": tier}
		if c.UUID != "" {
			idx["uuid"] = c.UUID
		}
		if c.CreationDate != "" {
			idx["creation"] = doc{"date": c.CreationDate}
		}
		pri, perr := strconv.Atoi(c.Pri)
		rep, rerr := strconv.Atoi(c.Rep)
		if perr == nil && rerr == nil {
			idx["shards"] = doc{"total": pri * (rep + 1), "primaries": pri}
		}
		if st, ok := stats.Indices[c.Index]; ok && c.Status != "close" {
			if _, has := idx["uuid"]; !has && st.UUID != "" {
				idx["uuid"] = st.UUID
			}
			p := pick(st.Primaries, primaryFields)
			tot := pick(st.Total, totalFields)
			if tier == "warm" {
				// UltraWarm reports primaries only: they are the totals too.
				for _, k := range []string{"docs", "store"} {
					if v, ok := p[k]; ok {
						tot[k] = v
					}
				}
			}
			if len(p) > 0 {
				idx["primaries"] = p
			}
			if len(tot) > 0 {
				idx["total"] = tot
			}
		}
		out = append(out, doc{
			"@timestamp": ts,
			"opensearch": doc{"cluster": cluster, "index": idx},
			"event":      doc{"dataset": "opensearch.index"},
			"metricset":  doc{"name": "index", "period": Period.Milliseconds()},
		})
	}

	var shards []struct {
		Index  string `json:"index"`
		Shard  string `json:"shard"`
		Prirep string `json:"prirep"`
		State  string `json:"state"`
		Docs   string `json:"docs"`
		Store  string `json:"store"`
		ID     string `json:"id"`
		Node   string `json:"node"`
	}
	if err := e.get(ctx, "/_cat/shards?h=index,shard,prirep,state,docs,store,id,node&bytes=b&format=json", &shards); err != nil {
		return nil, 0, 0, err
	}
	nShards := 0
	for _, s := range shards {
		info, ok := indexInfo[s.Index]
		if !ok {
			info = doc{"name": s.Index}
		}
		sh := doc{"primary": s.Prirep == "p", "state": s.State}
		if n, err := strconv.Atoi(s.Shard); err == nil {
			sh["number"] = n
		}
		if n, err := strconv.ParseInt(s.Docs, 10, 64); err == nil && n != 0 {
			sh["docs"] = doc{"count": n}
		}
		if n, err := strconv.ParseInt(s.Store, 10, 64); err == nil && n != 0 {
			sh["store"] = doc{"size_in_bytes": n}
		}
		os := doc{"cluster": cluster, "index": info, "shard": sh}
		if s.ID != "" || s.Node != "" {
			src := doc{}
			if s.Node != "" {
				src["name"] = s.Node
			}
			if s.ID != "" {
				src["uuid"] = s.ID
				os["node"] = doc{"id": s.ID}
			}
			sh["source_node"] = src
		}
		out = append(out, doc{
			"@timestamp": ts,
			"opensearch": os,
			"event":      doc{"dataset": "opensearch.shard"},
			"metricset":  doc{"name": "shard", "period": Period.Milliseconds()},
		})
		nShards++
	}
	return out, len(cat), nShards, nil
}

func (e Exporter) collectServerless(ctx context.Context, ts string) ([]doc, int, int, error) {
	host := e.Endpoint
	if _, after, ok := strings.Cut(host, "://"); ok {
		host = after
	}
	id, _, _ := strings.Cut(host, ".")
	cluster := doc{"id": id, "name": e.Collection}
	var rows []struct {
		Index       string `json:"index"`
		UUID        string `json:"uuid"`
		DocsCount   string `json:"docs.count"`
		DocsDeleted string `json:"docs.deleted"`
	}
	if err := e.get(ctx, "/_cat/indices?h=index,uuid,docs.count,docs.deleted&format=json", &rows); err != nil {
		return nil, 0, 0, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Index < rows[j].Index })
	var out []doc
	for _, r := range rows {
		idx := doc{"name": r.Index}
		if r.UUID != "" {
			idx["uuid"] = r.UUID
		}
		docs := doc{}
		if n, err := strconv.ParseInt(r.DocsCount, 10, 64); err == nil && n != 0 {
			docs["count"] = n
		}
		if n, err := strconv.ParseInt(r.DocsDeleted, 10, 64); err == nil && n != 0 {
			docs["deleted"] = n
		}
		if len(docs) > 0 {
			idx["primaries"] = doc{"docs": docs}
		}
		out = append(out, doc{
			"@timestamp": ts,
			"opensearch": doc{"cluster": cluster, "index": idx},
			"event":      doc{"dataset": "opensearch.index"},
			"metricset":  doc{"name": "index", "period": Period.Milliseconds()},
		})
	}
	return out, len(rows), 0, nil
}

// The _stats fields each document keeps (section -> fields).
var (
	primaryFields = map[string][]string{
		"docs":     {"count", "deleted"},
		"indexing": {"index_time_in_millis", "index_total", "throttle_time_in_millis"},
		"merges":   {"total_size_in_bytes"},
		"refresh":  {"total_time_in_millis"},
		"segments": {"count"},
		"store":    {"size_in_bytes"},
	}
	totalFields = map[string][]string{
		"docs":      {"count", "deleted"},
		"indexing":  {"index_time_in_millis", "index_total", "throttle_time_in_millis"},
		"merges":    {"total_size_in_bytes"},
		"refresh":   {"total_time_in_millis"},
		"fielddata": {"memory_size_in_bytes"},
		"search":    {"query_time_in_millis", "query_total"},
		"segments": {"count", "doc_values_memory_in_bytes", "fixed_bit_set_memory_in_bytes", "index_writer_memory_in_bytes",
			"memory_in_bytes", "norms_memory_in_bytes", "points_memory_in_bytes", "stored_fields_memory_in_bytes",
			"term_vectors_memory_in_bytes", "terms_memory_in_bytes", "version_map_memory_in_bytes"},
		"store": {"size_in_bytes"},
	}
)

// pick copies the listed fields that have a truthy value (non-zero
// numbers), as the reference does: nulls and zeros are left out.
func pick(stats map[string]any, fields map[string][]string) doc {
	out := doc{}
	for section, names := range fields {
		src, _ := stats[section].(map[string]any)
		dst := doc{}
		for _, n := range names {
			if v, ok := src[n].(json.Number); ok {
				if f, err := v.Float64(); err == nil && f != 0 {
					dst[n] = v
				}
			}
		}
		if len(dst) > 0 {
			out[section] = dst
		}
	}
	return out
}

func (e Exporter) get(ctx context.Context, path string, v any) error {
	status, err := e.getStatus(ctx, path, v)
	if err == nil && status != 200 {
		err = fmt.Errorf("GET %s: HTTP %d", path, status)
	}
	return err
}

// getStatus decodes a 200 answer into v (numbers kept as json.Number).
func (e Exporter) getStatus(ctx context.Context, path string, v any) (int, error) {
	status, body, err := e.Cluster.Request(ctx, "GET", path, nil)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if status != 200 {
		return status, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return status, fmt.Errorf("GET %s: %w", path, err)
	}
	return status, nil
}
