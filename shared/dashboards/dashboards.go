// Package dashboards generates the OpenSearch Dashboards saved objects
// the loader ships: index patterns for every index the log types write
// (and the log-*, log-aws-*, log-ocsf-*, metrics-* groups), a saved search
// per log index with useful columns, and dashboards built from compact
// panel tables. Every object has a stable id, so importing the bundle
// again with overwrite=true replaces the objects instead of duplicating
// them.
package dashboards

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/siemloader/siem/shared/logtype"
)

// Kind is a panel's visualization.
type Kind string

const (
	Pie     Kind = "pie"     // share of the top Size values of Field
	Table   Kind = "table"   // top Size values of Field with counts
	Bars    Kind = "bars"    // events over time, split by the top Size values of Field
	Line    Kind = "line"    // events over time (Field empty) or the sum of Field over time
	Metric  Kind = "metric"  // count (Field empty) or the sum of Field
	GeoMap  Kind = "map"     // geohash grid of Field (a geo_point)
	Unique  Kind = "unique"  // distinct values of Field
	Numeric Kind = "numeric" // top Size values of a numeric Field (ports, status codes)
)

// Panel is one visualization of a dashboard.
type Panel struct {
	Kind  Kind
	Title string
	Field string
	Size  int
}

// Dashboard is a dashboard over one index pattern.
type Dashboard struct {
	ID      string // stable id suffix
	Title   string
	Pattern string // index pattern title, e.g. log-aws-cloudtrail-*
	Answers string // the question it answers (README table)
	Panels  []Panel
}

// Search is a saved search over an index pattern.
type Search struct {
	ID      string
	Title   string
	Pattern string
	Query   string // KQL, may be empty
	Columns []string
}

// Groups are the index patterns over several indices.
var Groups = []string{"log-*", "log-aws-*", "log-aws-rds-*", "log-linux-*", "log-ocsf-*", "log-web-*", "log-win-*", "metrics-*"}

// OCSF indices: the ocsf log types write log-ocsf-<category>.
var ocsfCategories = []string{"application", "findings", "identity", "network"}

// Searches returns a saved search per index the registry's log types
// write, sorted by index.
func Searches(reg *logtype.Registry) []Search {
	seen := map[string]bool{}
	var out []Search
	for _, d := range reg.All() {
		base := d.Index.Name
		if seen[base] {
			continue
		}
		seen[base] = true
		cols := searchColumns[base]
		if cols == nil {
			cols = defaultColumns
		}
		out = append(out, Search{ID: base, Title: "search - " + base, Pattern: base + "-*", Columns: cols})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Patterns returns the index pattern titles for the registry's indices
// plus the groups, sorted.
func Patterns(reg *logtype.Registry) []string {
	seen := map[string]bool{}
	for _, g := range Groups {
		seen[g] = true
	}
	for _, d := range reg.All() {
		seen[d.Index.Name+"-*"] = true
		if d.Index.Name == "log-ocsf" {
			for _, c := range ocsfCategories {
				seen["log-ocsf-"+c+"-*"] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// PatternID is the stable id of an index pattern.
func PatternID(title string) string {
	return "siem-ip-" + strings.TrimSuffix(strings.ReplaceAll(title, "*", ""), "-")
}

// VisID is the stable id of a dashboard's panel.
func VisID(d Dashboard, p Panel) string { return "siem-vis-" + d.ID + "-" + slug(p.Title) }

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// Object is one saved object of the import NDJSON.
type Object struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes"`
	References []Reference    `json:"references"`
}

// Reference links an object to another.
type Reference struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

const indexRef = "kibanaSavedObjectMeta.searchSourceJSON.index"

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings and numbers
	}
	return string(b)
}

func searchSource(query string, withIndex bool) map[string]any {
	src := map[string]any{"query": map[string]any{"query": query, "language": "kuery"}, "filter": []any{}}
	if withIndex {
		src["indexRefName"] = indexRef
	}
	return map[string]any{"searchSourceJSON": jsonString(src)}
}

// Objects returns the saved objects: index patterns, searches,
// visualizations and dashboards, in an order the import accepts
// (referenced objects first).
func Objects(reg *logtype.Registry) []Object {
	var out []Object
	for _, p := range Patterns(reg) {
		out = append(out, Object{Type: "index-pattern", ID: PatternID(p), References: []Reference{},
			Attributes: map[string]any{"title": p, "timeFieldName": "@timestamp"}})
	}
	for _, s := range Searches(reg) {
		out = append(out, Object{Type: "search", ID: "siem-search-" + s.ID,
			References: []Reference{{Name: indexRef, Type: "index-pattern", ID: PatternID(s.Pattern)}},
			Attributes: map[string]any{
				"title": s.Title, "description": "", "columns": s.Columns, "sort": [][]string{{"@timestamp", "desc"}},
				"kibanaSavedObjectMeta": searchSource(s.Query, true),
			}})
	}
	for _, d := range Dashboards {
		var panels []any
		var refs []Reference
		for i, p := range d.Panels {
			id := VisID(d, p)
			out = append(out, Object{Type: "visualization", ID: id,
				References: []Reference{{Name: indexRef, Type: "index-pattern", ID: PatternID(d.Pattern)}},
				Attributes: map[string]any{
					"title": d.Title + " - " + p.Title, "description": "", "version": 1, "uiStateJSON": "{}",
					"visState":              jsonString(visState(d.Title+" - "+p.Title, p)),
					"kibanaSavedObjectMeta": searchSource("", true),
				}})
			w, h := 24, 15
			if p.Kind == Metric || p.Kind == Unique {
				w, h = 12, 8
			}
			if p.Kind == Bars || p.Kind == Line || p.Kind == GeoMap {
				w = 48
			}
			ref := "panel_" + itoa(i)
			panels = append(panels, map[string]any{
				"version": "2.17.1", "panelIndex": itoa(i + 1), "embeddableConfig": map[string]any{}, "panelRefName": ref,
				"gridData": map[string]any{"i": itoa(i + 1), "w": w, "h": h, "x": 0, "y": 0},
			})
			refs = append(refs, Reference{Name: ref, Type: "visualization", ID: id})
		}
		layout(panels)
		out = append(out, Object{Type: "dashboard", ID: "siem-dash-" + d.ID, References: refs,
			Attributes: map[string]any{
				"title": d.Title, "description": d.Answers, "version": 1, "timeRestore": false,
				"panelsJSON":            jsonString(panels),
				"optionsJSON":           `{"hidePanelTitles":false,"useMargins":true}`,
				"kibanaSavedObjectMeta": searchSource("", false),
			}})
	}
	return out
}

// layout places panels left to right on the 48-column grid.
func layout(panels []any) {
	x, y, rowH := 0, 0, 0
	for _, p := range panels {
		g := p.(map[string]any)["gridData"].(map[string]any)
		w, h := g["w"].(int), g["h"].(int)
		if x+w > 48 {
			x, y, rowH = 0, y+rowH, 0
		}
		g["x"], g["y"] = x, y
		x += w
		rowH = max(rowH, h)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func terms(id, schema, field string, size int) map[string]any {
	return map[string]any{"id": id, "enabled": true, "type": "terms", "schema": schema,
		"params": map[string]any{"field": field, "size": size, "order": "desc", "orderBy": "1", "otherBucket": false, "missingBucket": false}}
}

var countAgg = map[string]any{"id": "1", "enabled": true, "type": "count", "schema": "metric", "params": map[string]any{}}

func dateHist(id string) map[string]any {
	return map[string]any{"id": id, "enabled": true, "type": "date_histogram", "schema": "segment",
		"params": map[string]any{"field": "@timestamp", "interval": "auto", "min_doc_count": 1, "extended_bounds": map[string]any{}}}
}

func visState(title string, p Panel) map[string]any {
	size := p.Size
	if size == 0 {
		size = 10
	}
	axes := map[string]any{
		"addLegend": true, "addTooltip": true, "legendPosition": "right",
		"categoryAxes": []any{map[string]any{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": true, "labels": map[string]any{"show": true}}},
		"valueAxes":    []any{map[string]any{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left", "show": true, "labels": map[string]any{"show": true}}},
	}
	var typ string
	var params map[string]any
	var aggs []any
	switch p.Kind {
	case Pie:
		typ = "pie"
		params = map[string]any{"addLegend": true, "addTooltip": true, "isDonut": true, "legendPosition": "right", "labels": map[string]any{"show": false}}
		aggs = []any{countAgg, terms("2", "segment", p.Field, size)}
	case Table, Numeric:
		typ = "table"
		params = map[string]any{"perPage": 10, "showPartialRows": false, "showMetricsAtAllLevels": false, "showTotal": false}
		aggs = []any{countAgg, terms("2", "bucket", p.Field, size)}
	case Bars:
		typ = "histogram"
		params = axes
		params["type"] = "histogram"
		params["seriesParams"] = []any{map[string]any{"show": true, "type": "histogram", "mode": "stacked", "valueAxis": "ValueAxis-1", "data": map[string]any{"id": "1", "label": "Count"}}}
		aggs = []any{countAgg, dateHist("2"), terms("3", "group", p.Field, size)}
	case Line:
		typ = "line"
		params = axes
		params["type"] = "line"
		metric := countAgg
		label := "Count"
		if p.Field != "" {
			metric = map[string]any{"id": "1", "enabled": true, "type": "sum", "schema": "metric", "params": map[string]any{"field": p.Field}}
			label = "Sum of " + p.Field
		}
		params["seriesParams"] = []any{map[string]any{"show": true, "type": "line", "mode": "normal", "valueAxis": "ValueAxis-1", "data": map[string]any{"id": "1", "label": label}}}
		aggs = []any{metric, dateHist("2")}
	case Metric, Unique:
		typ = "metric"
		params = map[string]any{"addLegend": false, "addTooltip": true, "type": "metric", "metric": map[string]any{"colorSchema": "Green to Red", "style": map[string]any{"fontSize": 48}}}
		metric := countAgg
		switch {
		case p.Kind == Unique:
			metric = map[string]any{"id": "1", "enabled": true, "type": "cardinality", "schema": "metric", "params": map[string]any{"field": p.Field}}
		case p.Field != "":
			metric = map[string]any{"id": "1", "enabled": true, "type": "sum", "schema": "metric", "params": map[string]any{"field": p.Field}}
		}
		aggs = []any{metric}
	case GeoMap:
		typ = "tile_map"
		params = map[string]any{"mapType": "Scaled Circle Markers", "isDesaturated": true, "addTooltip": true, "heatClusterSize": 1.5, "legendPosition": "bottomright", "mapZoom": 2, "mapCenter": []float64{0, 0}, "wms": map[string]any{"enabled": false}}
		aggs = []any{countAgg, map[string]any{"id": "2", "enabled": true, "type": "geohash_grid", "schema": "segment",
			"params": map[string]any{"field": p.Field, "autoPrecision": true, "precision": 2, "useGeocentroid": true, "isFilteredByCollar": true}}}
	default:
		panic("dashboards: unknown panel kind " + string(p.Kind))
	}
	return map[string]any{"title": title, "type": typ, "params": params, "aggs": aggs}
}

// Fields returns the fields a visualization aggregates on, with the
// index pattern it reads (the dashboard's).
func (p Panel) Fields() []string {
	if p.Field == "" {
		return nil
	}
	return []string{p.Field}
}

// Bundle is the NDJSON the saved objects import API takes.
func Bundle(reg *logtype.Registry) []byte {
	var buf bytes.Buffer
	for _, o := range Objects(reg) {
		b, err := json.Marshal(o)
		if err != nil {
			panic(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}
