// Package mapping checks that the documents the loader emits cannot cause
// mapping conflicts in OpenSearch.
package mapping

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// indexPattern strips the rotation suffix: log-aws-waf-2024-03 -> log-aws-waf.
var rotation = regexp.MustCompile(`-\d{4}(-w?\d{2}(-\d{2})?)?$`)

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// walk records the type of every leaf path; list elements share their
// list's path, as OpenSearch maps them.
func walk(prefix string, v any, seen func(path, typ string)) {
	switch t := v.(type) {
	case map[string]any:
		if prefix != "" {
			seen(prefix, "object")
		}
		for k, e := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, e, seen)
		}
	case []any:
		for _, e := range t {
			walk(prefix, e, seen)
		}
	default:
		if t != nil {
			seen(prefix, jsonType(t))
		}
	}
}

// Every field path of every document the golden samples produce has one
// JSON type across all documents of its index pattern: the first document
// of a new index decides the dynamic mapping, so a second type for the
// same path would be refused (or silently coerced) later.
func TestOneTypePerFieldPerIndexPattern(t *testing.T) {
	goldens, _ := filepath.Glob("../../shared/logtypes/*/testdata/*.golden.json")
	if len(goldens) == 0 {
		t.Fatal("no golden files")
	}
	type where struct{ file, id string }
	types := map[string]map[string]map[string]where{} // pattern -> path -> type -> first seen
	docs := 0
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Documents []struct {
				Index  string         `json:"_index"`
				ID     string         `json:"_id"`
				Source map[string]any `json:"_source"`
			} `json:"documents"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		for _, d := range res.Documents {
			docs++
			pattern := rotation.ReplaceAllString(d.Index, "")
			if types[pattern] == nil {
				types[pattern] = map[string]map[string]where{}
			}
			walk("", d.Source, func(path, typ string) {
				m := types[pattern][path]
				if m == nil {
					m = map[string]where{}
					types[pattern][path] = m
				}
				if _, ok := m[typ]; !ok {
					m[typ] = where{filepath.Base(filepath.Dir(filepath.Dir(g))) + "/" + filepath.Base(g), d.ID}
				}
			})
		}
	}
	var problems []string
	for pattern, paths := range types {
		for path, ts := range paths {
			if len(ts) < 2 {
				continue
			}
			var desc []string
			for typ, w := range ts {
				desc = append(desc, fmt.Sprintf("%s (%s %s)", typ, w.file, w.id))
			}
			sort.Strings(desc)
			problems = append(problems, fmt.Sprintf("%s: %s is %s", pattern, path, strings.Join(desc, " and ")))
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d documents from %d golden files, %d index patterns", docs, len(goldens), len(types))
}
