// Package opensearch is the opt-in suite against a real cluster:
// OPENSEARCH_URL=http://admin:pass@localhost:9200 make test-opensearch
// (docker compose up -d starts one). Without OPENSEARCH_URL it skips.
// DASHBOARDS_URL=http://localhost:5601 adds the saved objects import into
// the compose Dashboards (dashboards_test.go); without it that test skips.
package opensearch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/ostemplate"
)

func cluster(t *testing.T) *bulk.Client {
	t.Helper()
	raw := os.Getenv("OPENSEARCH_URL")
	if raw == "" {
		t.Skip("OPENSEARCH_URL is not set: no cluster to test against (docker compose up -d; OPENSEARCH_URL=http://localhost:9200 make test-opensearch)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bulk.Config{Endpoint: u.Scheme + "://" + u.Host, Auth: "none"}
	if u.User != nil {
		cfg.Auth, cfg.Username = "basic", u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	c, err := bulk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Templates applied, every golden document indexed with no item error,
// and the typed fields mapped as the templates say.
func TestEveryGoldenDocumentIndexes(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	calls, err := ostemplate.Plan(logtype.Builtin(), ostemplate.Options{Replicas: 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := ostemplate.Apply(ctx, c, calls); err != nil {
		t.Fatal(err)
	}
	docs, _, err := golden.BulkDocs("../../shared/logtypes/*/testdata/*.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	indices := map[string]bool{}
	for _, d := range docs {
		indices[d.Index] = true
	}
	res, err := c.Index(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Failed {
		t.Errorf("%s/%s refused: %d %s %s", f.Doc.Index, f.Doc.ID, f.Status, f.Type, f.Reason)
	}
	if res.Indexed != len(docs) {
		t.Errorf("indexed %d of %d", res.Indexed, len(docs))
	}
	status, body, err := c.Request(ctx, "GET", "/log-*/_mapping/field/source.ip,source.geo.location,@timestamp,destination.port", nil)
	if err != nil || status != 200 {
		t.Fatalf("field mappings: %d %v", status, err)
	}
	var m map[string]struct {
		Mappings map[string]struct {
			Mapping map[string]struct {
				Type string `json:"type"`
			} `json:"mapping"`
		} `json:"mappings"`
	}
	json.Unmarshal(body, &m)
	want := map[string]string{"source.ip": "ip", "source.geo.location": "geo_point", "@timestamp": "date", "destination.port": "long"}
	for idx, im := range m {
		for field, fm := range im.Mappings {
			leaf := field[strings.LastIndex(field, ".")+1:]
			if got := fm.Mapping[leaf].Type; want[field] != "" && got != want[field] {
				t.Errorf("%s: %s mapped %s, want %s", idx, field, got, want[field])
			}
		}
	}
	fmt.Fprintf(os.Stderr, "%d documents in %d indices\n", len(docs), len(indices))
}
