package dashboards_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/dashboards"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/logtypes/golden"
	"github.com/siemloader/siem/shared/ostemplate"
)

// The bundle is NDJSON of saved objects with unique ids whose references
// all resolve, and every dashboard panel names a reference it carries.
func TestBundleParsesAndReferencesResolve(t *testing.T) {
	b := dashboards.Bundle(logtype.Builtin())
	objs := map[string]dashboards.Object{} // type/id
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	counts := map[string]int{}
	for sc.Scan() {
		var o dashboards.Object
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		key := o.Type + "/" + o.ID
		if _, dup := objs[key]; dup {
			t.Errorf("duplicate %s", key)
		}
		if o.Attributes["title"] == "" {
			t.Errorf("%s without title", key)
		}
		objs[key] = o
		counts[o.Type]++
	}
	for _, o := range objs {
		refs := map[string]string{}
		for _, r := range o.References {
			if _, ok := objs[r.Type+"/"+r.ID]; !ok {
				t.Errorf("%s/%s references missing %s/%s", o.Type, o.ID, r.Type, r.ID)
			}
			refs[r.Name] = r.ID
		}
		switch o.Type {
		case "visualization":
			var vs struct {
				Type string           `json:"type"`
				Aggs []map[string]any `json:"aggs"`
			}
			if err := json.Unmarshal([]byte(o.Attributes["visState"].(string)), &vs); err != nil || vs.Type == "" || len(vs.Aggs) == 0 {
				t.Errorf("%s visState: %v", o.ID, err)
			}
			if refs["kibanaSavedObjectMeta.searchSourceJSON.index"] == "" {
				t.Errorf("%s has no index pattern reference", o.ID)
			}
		case "dashboard":
			var panels []struct {
				PanelRefName string                   `json:"panelRefName"`
				GridData     struct{ X, Y, W, H int } `json:"gridData"`
			}
			if err := json.Unmarshal([]byte(o.Attributes["panelsJSON"].(string)), &panels); err != nil || len(panels) == 0 {
				t.Fatalf("%s panelsJSON: %v", o.ID, err)
			}
			for _, p := range panels {
				if refs[p.PanelRefName] == "" {
					t.Errorf("%s panel %s has no reference", o.ID, p.PanelRefName)
				}
				if p.GridData.W == 0 || p.GridData.X+p.GridData.W > 48 {
					t.Errorf("%s panel %s grid %v", o.ID, p.PanelRefName, p.GridData)
				}
			}
		}
	}
	for _, typ := range []string{"index-pattern", "search", "visualization", "dashboard"} {
		if counts[typ] == 0 {
			t.Errorf("no %s objects", typ)
		}
	}
	if counts["dashboard"] < 15 {
		t.Errorf("%d dashboards", counts["dashboard"])
	}
	// Stable: the same bundle every time (import with overwrite is idempotent).
	if !bytes.Equal(b, dashboards.Bundle(logtype.Builtin())) {
		t.Error("bundle differs between two runs")
	}
	t.Logf("%v", counts)
}

// mappedTypes are the explicit leaf types of the configurator's component
// template.
func mappedTypes(t *testing.T) map[string]string {
	ct := ostemplate.ComponentTemplate()
	props := ct["template"].(map[string]any)["mappings"].(map[string]any)["properties"].(map[string]any)
	out := map[string]string{}
	var walk func(prefix string, p map[string]any)
	walk = func(prefix string, p map[string]any) {
		for k, v := range p {
			m := v.(map[string]any)
			path := strings.TrimPrefix(prefix+"."+k, ".")
			if sub, ok := m["properties"].(map[string]any); ok {
				walk(path, sub)
				continue
			}
			out[path] = m["type"].(string)
			if f, ok := m["fields"].(map[string]any); ok {
				for sub, sm := range f {
					out[path+"."+sub] = sm.(map[string]any)["type"].(string)
				}
			}
		}
	}
	walk("", props)
	return out
}

// leaves records each leaf path of a document with its JSON kind.
func leaves(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if _, lat := x["lat"]; lat {
			if _, lon := x["lon"]; lon {
				out[prefix] = "geo"
				return
			}
		}
		for k, e := range x {
			leaves(strings.TrimPrefix(prefix+"."+k, "."), e, out)
		}
	case []any:
		for _, e := range x {
			leaves(prefix, e, out)
		}
	case string:
		out[prefix] = "string"
	case float64:
		out[prefix] = "number"
	case bool:
		out[prefix] = "bool"
	}
}

func matches(pattern, index string) bool {
	return strings.HasPrefix(index, strings.TrimSuffix(pattern, "*"))
}

// The fields the golden documents hold, per index pattern. The threat.*
// summary is written by the IoC enrichment (not by the parsers), so one
// golden document with a source address is enriched with an indicator of
// that address and counts for its index.
func goldenFields(t *testing.T, patterns []string) map[string]map[string]string {
	docs, _, err := golden.BulkDocs("../logtypes/*/testdata/*.golden.json")
	if err != nil || len(docs) == 0 {
		t.Fatalf("golden documents: %d %v", len(docs), err)
	}
	out := map[string]map[string]string{}
	for _, p := range patterns {
		out[p] = map[string]string{}
	}
	enriched := false
	for _, d := range docs {
		var src map[string]any
		if err := json.Unmarshal(d.Source, &src); err != nil {
			t.Fatal(err)
		}
		if !enriched {
			s, _ := src["source"].(map[string]any)
			if ip, _ := s["ip"].(string); ip != "" {
				if a, err := netip.ParseAddr(ip); err == nil && ioc.Public(a) {
					b := ioc.NewBuilder()
					b.Add(ioc.Indicator{Type: "ipv4-addr", Value: ip, Provider: "test", Name: "golden"})
					ioc.Open(b.Build(time.Unix(0, 0))).Enrich(src, nil, nil)
					_, enriched = src["threat"]
				}
			}
		}
		l := map[string]string{}
		leaves("", src, l)
		for _, p := range patterns {
			if matches(p, d.Index) {
				for f, k := range l {
					out[p][f] = k
				}
			}
		}
	}
	if !enriched {
		t.Error("no golden document could be IoC-enriched")
	}
	return out
}

// Every visualization field exists in the templates the configurator
// applies with an aggregatable type, and at least one golden document of
// the dashboard's index pattern holds it: a dashboard never points at a
// field the loader does not write.
func TestVisualizationFieldsAreWrittenAndAggregatable(t *testing.T) {
	var patterns []string
	for _, d := range dashboards.Dashboards {
		patterns = append(patterns, d.Pattern)
	}
	for _, s := range dashboards.Searches(logtype.Builtin()) {
		patterns = append(patterns, s.Pattern)
	}
	have := goldenFields(t, patterns)
	mapped := mappedTypes(t)
	known := map[string]bool{}
	for _, p := range dashboards.Patterns(logtype.Builtin()) {
		known[p] = true
	}
	checked := 0
	for _, d := range dashboards.Dashboards {
		if !known[d.Pattern] {
			t.Errorf("%s: index pattern %s is not in the bundle", d.ID, d.Pattern)
		}
		for _, p := range d.Panels {
			for _, f := range p.Fields() {
				checked++
				kind, ok := have[d.Pattern][f]
				if !ok {
					t.Errorf("%s %q: no golden document of %s holds %s", d.ID, p.Title, d.Pattern, f)
					continue
				}
				typ := mapped[f]
				if typ == "" { // dynamic mapping: strings as keyword, numbers as long/float
					switch kind {
					case "string":
						typ = "keyword"
					case "number":
						typ = "long"
					default:
						typ = kind
					}
				}
				ok = typ == "keyword" || typ == "long" || typ == "float" || typ == "date" || typ == "ip"
				switch p.Kind {
				case dashboards.GeoMap:
					ok = typ == "geo_point"
				case dashboards.Line, dashboards.Metric, dashboards.Numeric: // sums, numeric terms
					ok = typ == "long" || typ == "float"
				}
				if !ok {
					t.Errorf("%s %q: %s is mapped %s, not aggregatable for a %s panel", d.ID, p.Title, f, typ, p.Kind)
				}
			}
		}
	}
	for _, s := range dashboards.Searches(logtype.Builtin()) {
		if s.Pattern == "log-ocsf-*" {
			continue
		}
		for _, c := range s.Columns {
			if _, ok := have[s.Pattern][c]; !ok {
				t.Errorf("search %s: no golden document of %s holds column %s", s.ID, s.Pattern, c)
			}
		}
	}
	t.Logf("%d panel fields checked", checked)
}

// The README's table lists every dashboard with its index pattern and the
// question it answers, as defs.go has them.
func TestReadmeTableListsEveryDashboard(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dashboards.Dashboards {
		row := fmt.Sprintf("| %s | `%s` | %s |", d.Title, d.Pattern, d.Answers)
		if !bytes.Contains(b, []byte(row)) {
			t.Errorf("README.md lacks the row\n%s", row)
		}
	}
	if !bytes.Contains(b, []byte("### Manual import (OpenSearch Serverless")) {
		t.Error("README.md lacks the manual import steps ManualImportDoc points at")
	}
}
