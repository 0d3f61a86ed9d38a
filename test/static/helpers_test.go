// Package static_test checks the deployment artifacts without deploying
// anything: template.yaml (cfn-lint, functions, environment), every
// statemachines/*.asl.json (JSON, transitions, error handling, moto
// compatibility, asl-validator), the ${Placeholder}s against the
// template's DefinitionSubstitutions both ways, and the events/ samples
// against the pipeline contract.
//
//	go test ./test/static/
//
// cfn-lint and node_modules/.bin/asl-validator (npm ci) are used when
// present; without them those two tests skip, except under CI=true.
package static_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// root is the repository root, seen from this package.
const root = "../.."

// requireTool skips when a tool is missing on a laptop and fails in CI.
func requireTool(t *testing.T, path, install string) {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI (%s)", path, install)
	}
	t.Skipf("%s not found: %s", path, install)
}

// aslFiles lists statemachines/*.asl.json, relative to the repository root.
func aslFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no statemachines/*.asl.json (%v)", err)
	}
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(root, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	return rel
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// template is template.yaml as a yaml.v3 tree. CloudFormation short
// forms (!Ref, !GetAtt, !Sub, !If) stay tagged nodes.
type template struct{ top *yaml.Node }

func parseTemplate(b []byte) (*template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("template is not a mapping")
	}
	return &template{top: doc.Content[0]}, nil
}

func loadTemplate(t *testing.T) *template {
	t.Helper()
	tpl, err := parseTemplate(readFile(t, "template.yaml"))
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return tpl
}

// get returns the value of key in a mapping node, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// path follows keys through nested mappings.
func path(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = get(n, k)
	}
	return n
}

// keys returns a mapping's keys in file order.
func keys(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

type resource struct {
	ID    string
	Type  string
	Node  *yaml.Node
	Props *yaml.Node
}

func (tpl *template) resources() []resource {
	res := get(tpl.top, "Resources")
	var out []resource
	for _, id := range keys(res) {
		r := get(res, id)
		typ := ""
		if n := get(r, "Type"); n != nil {
			typ = n.Value
		}
		out = append(out, resource{ID: id, Type: typ, Node: r, Props: get(r, "Properties")})
	}
	return out
}

func (tpl *template) resource(id string) *resource {
	for _, r := range tpl.resources() {
		if r.ID == id {
			return &r
		}
	}
	return nil
}

func (tpl *template) functions() []resource {
	var out []resource
	for _, r := range tpl.resources() {
		if r.Type == "AWS::Serverless::Function" {
			out = append(out, r)
		}
	}
	return out
}

// reference decodes !Ref X, !GetAtt X.Attr and their long forms.
func reference(n *yaml.Node) (kind, target string) {
	if n == nil {
		return "", ""
	}
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!Ref":
		return "Ref", n.Value
	case n.Kind == yaml.ScalarNode && n.Tag == "!GetAtt":
		return "GetAtt", n.Value
	case n.Kind == yaml.SequenceNode && n.Tag == "!GetAtt" && len(n.Content) == 2:
		return "GetAtt", n.Content[0].Value + "." + n.Content[1].Value
	case n.Kind == yaml.MappingNode && len(n.Content) == 2:
		k, v := n.Content[0].Value, n.Content[1]
		if k == "Ref" && v.Kind == yaml.ScalarNode {
			return "Ref", v.Value
		}
		if k == "Fn::GetAtt" {
			if v.Kind == yaml.ScalarNode {
				return "GetAtt", v.Value
			}
			if v.Kind == yaml.SequenceNode && len(v.Content) == 2 {
				return "GetAtt", v.Content[0].Value + "." + v.Content[1].Value
			}
		}
	}
	return "", ""
}

// sortedKeys returns a set's members in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// expectProblems fails unless problems holds one entry containing each
// of want (and nothing else).
func expectProblems(t *testing.T, name string, problems []string, want ...string) {
	t.Helper()
	if len(problems) != len(want) {
		t.Errorf("%s: got %d problems %q, want %d %q", name, len(problems), problems, len(want), want)
		return
	}
	for _, w := range want {
		found := false
		for _, p := range problems {
			if strings.Contains(p, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no problem mentions %q: %q", name, w, problems)
		}
	}
}
