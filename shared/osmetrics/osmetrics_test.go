package osmetrics_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/bulk/bulktest"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/osmetrics"
	"github.com/siemloader/siem/shared/runner"
)

// fakeCluster answers GET path (without the query) from files; others 404.
type fakeCluster struct {
	files map[string]string
	paths []string
}

func (f *fakeCluster) Request(_ context.Context, method, path string, _ []byte) (int, []byte, error) {
	f.paths = append(f.paths, path)
	p, _, _ := strings.Cut(path, "?")
	name, ok := f.files[p]
	if method != "GET" || !ok {
		return 404, []byte(`{"error":{"type":"index_not_found_exception"},"status":404}`), nil
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	return 200, b, err
}

type putter map[string][]byte

func (p putter) Put(_ context.Context, bucket, key string, body []byte) error {
	p[bucket+"/"+key] = body
	return nil
}

var hour = time.Date(2024, 3, 4, 5, 0, 0, 0, time.UTC)

func managed() *fakeCluster {
	return &fakeCluster{files: map[string]string{
		"/":                   "root.json",
		"/_cat/indices/_hot":  "cat_hot.json",
		"/_cat/indices/_warm": "cat_warm.json",
		"/_stats/docs,indexing,merge,refresh,segments,store,fielddata,search": "stats.json",
		"/_cat/shards": "cat_shards.json",
	}}
}

// The exporter's object, loaded by the local runner as index-metrics (the
// key alone selects the type): one document per index and per shard in
// metrics-opensearch-index-2024-03, stamped with the run's hour.
func TestExportThenLoadAsIndexMetrics(t *testing.T) {
	out := putter{}
	e := osmetrics.Exporter{Cluster: managed(), Store: out, Bucket: "siem-logs", Account: "123456789012", Region: "us-east-1",
		Now: func() time.Time { return hour.Add(42 * time.Second) }, ID: func() string { return "0a1b2c3d4e5f60718293a4b5c6d7e8f9" }}
	res, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantKey := "AWSLogs/123456789012/OpenSearch/metrics/us-east-1/2024/03/04/aos_index_metrics_0a1b2c3d4e5f60718293a4b5c6d7e8f9.json.gz"
	if res.Key != wantKey || res.Indices != 3 || res.Shards != 3 || len(out) != 1 {
		t.Fatalf("result %+v, objects %d", res, len(out))
	}

	// The object as it would sit in the bucket, loaded by siem load's runner.
	dir := t.TempDir()
	file := filepath.Join(dir, filepath.FromSlash(res.Key))
	os.MkdirAll(filepath.Dir(file), 0o755)
	if err := os.WriteFile(file, out["siem-logs/"+res.Key], 0o644); err != nil {
		t.Fatal(err)
	}
	sink := bulktest.NewMemorySink()
	sum, err := runner.Run(context.Background(), runner.Options{Paths: []string{dir}, OutDir: t.TempDir(), Indexer: sink})
	if err != nil {
		t.Fatal(err)
	}
	if c := sum.ByType["index-metrics"]; c == nil || c.Indexed != 6 || sum.DeadLettered != 0 || sum.Skipped != 0 {
		t.Fatalf("summary %+v (by type %+v)", sum, sum.ByType)
	}
	docs := map[string]map[string]any{}
	for _, d := range sink.Docs() {
		if d.Index != "metrics-opensearch-index-2024-03" {
			t.Errorf("document in %s", d.Index)
		}
		var src map[string]any
		json.Unmarshal(d.Source, &src)
		if src["@timestamp"] != "2024-03-04T05:00:42Z" || src["@log_type"] != "index-metrics" {
			t.Errorf("@timestamp %v, @log_type %v", src["@timestamp"], src["@log_type"])
		}
		os := src["opensearch"].(map[string]any)
		key := os["index"].(map[string]any)["name"].(string)
		if sh, ok := os["shard"].(map[string]any); ok {
			key += "/shard" + jsonOf(sh["number"]) + jsonOf(sh["primary"])
		}
		docs[key] = src
	}

	ct := docs["log-aws-cloudtrail-2024-03"]
	want := map[string]string{
		"opensearch.cluster":                  `{"id":"Xq9vTn3kQ1a2b3c4d5e6fA","name":"siem"}`,
		"opensearch.index.shards":             `{"primaries":2,"total":4}`,
		"opensearch.index.storage_tier":       `"hot"`,
		"opensearch.index.creation":           `{"date":"2024-03-01T00:00:03.123Z"}`,
		"opensearch.index.primaries.docs":     `{"count":1520033,"deleted":12}`,
		"opensearch.index.primaries.indexing": `{"index_time_in_millis":845123,"index_total":1520045}`,
		"opensearch.index.primaries.merges":   `{"total_size_in_bytes":98123456789}`,
		"opensearch.index.total.segments":     `{"count":96,"doc_values_memory_in_bytes":1048576,"memory_in_bytes":4194304,"terms_memory_in_bytes":2097152}`,
		"opensearch.index.total.search":       `{"query_time_in_millis":5520,"query_total":812}`,
		"opensearch.index.total.fielddata":    `{"memory_size_in_bytes":1024}`,
		"event.dataset":                       `"opensearch.index"`,
		"metricset":                           `{"name":"index","period":3600000}`,
	}
	for path, w := range want {
		if got := jsonOf(at(ct, path)); got != w {
			t.Errorf("cloudtrail index %s = %s, want %s", path, got, w)
		}
	}
	// Warm: primaries are the totals too. Closed: status only.
	if got := jsonOf(at(docs["log-aws-vpcflowlogs-2023-12"], "opensearch.index.total")); got != `{"docs":{"count":88000000},"store":{"size_in_bytes":21474836480}}` {
		t.Errorf("warm index total %s", got)
	}
	if got := jsonOf(at(docs["log-aws-waf-2023-01"], "opensearch.index")); got != `{"creation":{"date":"2023-01-01T00:00:00.000Z"},"index_status":"close","name":"log-aws-waf-2023-01","shards":{"primaries":1,"total":2},"status":"green","storage_tier":"hot","uuid":"cL0sEdIndExUUid000000a"}` {
		t.Errorf("closed index %s", got)
	}
	rep := docs["log-aws-cloudtrail-2024-03/shard0false"]
	if got := jsonOf(at(rep, "opensearch.shard")); got != `{"docs":{"count":760016},"number":0,"primary":false,"source_node":{"name":"9d5b3c2e1f0a","uuid":"oE2bC3dE4fG5hI6jK7lM8n"},"state":"STARTED","store":{"size_in_bytes":1073741824}}` {
		t.Errorf("replica shard %s", got)
	}
	if got := jsonOf(at(rep, "opensearch.node")); got != `{"id":"oE2bC3dE4fG5hI6jK7lM8n"}` {
		t.Errorf("replica node %s", got)
	}
	if got := jsonOf(at(docs["log-aws-waf-2023-01/shard0true"], "opensearch.shard")); got != `{"number":0,"primary":true,"state":"UNASSIGNED"}` {
		t.Errorf("unassigned shard %s", got)
	}
	if len(docs) != 6 {
		t.Errorf("%d distinct documents, want 6: %v", len(docs), keys(docs))
	}
}

// Self-managed OpenSearch has no _hot/_warm tiers: every index is hot.
// OpenSearch Serverless: _cat/indices only, the collection as cluster.
func TestExportWithoutTiersAndServerless(t *testing.T) {
	c := managed()
	c.files["/_cat/indices"] = c.files["/_cat/indices/_hot"]
	delete(c.files, "/_cat/indices/_hot")
	delete(c.files, "/_cat/indices/_warm")
	docs, n, shards, err := osmetrics.Exporter{Cluster: c}.Collect(context.Background(), hour)
	if err != nil || n != 2 || shards != 3 {
		t.Fatalf("no tiers: %d indices %d shards %v", n, shards, err)
	}
	if got := jsonOf(at(docs[0], "opensearch.index.storage_tier")); got != `"hot"` {
		t.Errorf("tier %s", got)
	}

	aoss := &fakeCluster{files: map[string]string{"/_cat/indices": "aoss_cat.json"}}
	docs, n, _, err = osmetrics.Exporter{Cluster: aoss, Serverless: true, Collection: "siem", Endpoint: "https://abc123def456.us-east-1.aoss.amazonaws.com"}.Collect(context.Background(), hour)
	if err != nil || n != 2 {
		t.Fatalf("serverless: %d %v", n, err)
	}
	if got := jsonOf(docs[0]["opensearch"]); got != `{"cluster":{"id":"abc123def456","name":"siem"},"index":{"name":"log-aws-cloudtrail-2024-03","primaries":{"docs":{"count":1520033,"deleted":12}},"uuid":"aBcD"}}` {
		t.Errorf("serverless doc %s", got)
	}
	for _, p := range aoss.paths {
		if strings.Contains(p, "_stats") || strings.Contains(p, "_cat/shards") {
			t.Errorf("serverless asked %s, which a collection does not serve", p)
		}
	}
}

// A cluster that fails is an error, and nothing is written.
func TestExportClusterDown(t *testing.T) {
	out := putter{}
	_, err := osmetrics.Exporter{Cluster: &fakeCluster{}, Store: out, Bucket: "b"}.Run(context.Background())
	if err == nil || len(out) != 0 {
		t.Errorf("err %v, %d objects", err, len(out))
	}
}

func at(d map[string]any, path string) any {
	var v any = d
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
