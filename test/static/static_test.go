// Package static checks the deployment artifacts without deploying:
// cfn-lint on the template, asl-validator on every state machine (after
// substituting the template's DefinitionSubstitutions, as CloudFormation
// does), and the placeholders against the substitutions both ways.
package static

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const root = "../.."

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.:]+)\}`)

// requireTool skips when a tool is missing on a laptop, fails in CI.
func requireTool(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		if _, serr := os.Stat(path); serr == nil {
			return
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", path, err)
		}
		t.Skipf("%s not installed (%v): see README for pip/npm installs", path, err)
	}
}

// stateMachines returns DefinitionUri -> substitution names of every
// AWS::Serverless::StateMachine in the template.
func stateMachines(t *testing.T, template []byte) map[string][]string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	res := child(doc.Content[0], "Resources")
	if res == nil {
		t.Fatal("template has no Resources")
	}
	for i := 0; i+1 < len(res.Content); i += 2 {
		r := res.Content[i+1]
		if typ := child(r, "Type"); typ == nil || typ.Value != "AWS::Serverless::StateMachine" {
			continue
		}
		props := child(r, "Properties")
		uri := child(props, "DefinitionUri")
		if uri == nil {
			t.Fatalf("state machine %s has no DefinitionUri", res.Content[i].Value)
		}
		var names []string
		if subs := child(props, "DefinitionSubstitutions"); subs != nil {
			for j := 0; j < len(subs.Content); j += 2 {
				names = append(names, subs.Content[j].Value)
			}
		}
		out[uri.Value] = names
	}
	return out
}

func child(n *yaml.Node, key string) *yaml.Node {
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

// checkPlaceholders reports placeholders without a substitution and
// substitutions no placeholder uses.
func checkPlaceholders(asl string, subs []string) []string {
	used := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(asl, -1) {
		used[m[1]] = true
	}
	have := map[string]bool{}
	for _, s := range subs {
		have[s] = true
	}
	var problems []string
	for u := range used {
		if !have[u] {
			problems = append(problems, fmt.Sprintf("placeholder ${%s} has no DefinitionSubstitutions entry", u))
		}
	}
	for h := range have {
		if !used[h] {
			problems = append(problems, fmt.Sprintf("substitution %s is not used by the definition", h))
		}
	}
	sort.Strings(problems)
	return problems
}

func TestCheckPlaceholdersCatchesBothDirections(t *testing.T) {
	if p := checkPlaceholders(`{"a":"${A}","b":"${B}"}`, []string{"A", "B"}); len(p) != 0 {
		t.Errorf("clean input reported %v", p)
	}
	if p := checkPlaceholders(`{"a":"${A}","b":"${B}"}`, []string{"A"}); len(p) != 1 || !strings.Contains(p[0], "${B}") {
		t.Errorf("missing substitution not reported: %v", p)
	}
	if p := checkPlaceholders(`{"a":"${A}"}`, []string{"A", "C"}); len(p) != 1 || !strings.Contains(p[0], "C is not used") {
		t.Errorf("unused substitution not reported: %v", p)
	}
}

func TestASLPlaceholders(t *testing.T) {
	tpl, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	machines := stateMachines(t, tpl)
	files, _ := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if len(files) == 0 {
		t.Fatal("no state machine definitions")
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		subs, ok := machines[filepath.ToSlash(rel)]
		if !ok {
			t.Errorf("%s is not the DefinitionUri of any state machine in template.yaml", rel)
			continue
		}
		b, _ := os.ReadFile(f)
		for _, p := range checkPlaceholders(string(b), subs) {
			t.Errorf("%s: %s", rel, p)
		}
	}
	for uri := range machines {
		if _, err := os.Stat(filepath.Join(root, uri)); err != nil {
			t.Errorf("DefinitionUri %s: %v", uri, err)
		}
	}
}

// substituted returns the definition as deployed with sample values.
func substituted(asl string) string {
	return placeholder.ReplaceAllStringFunc(asl, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		switch {
		case strings.HasSuffix(name, "FunctionArn"):
			return "arn:aws:lambda:us-east-1:123456789012:function:" + strings.TrimSuffix(name, "Arn")
		case name == "ChildExecutionType":
			return "EXPRESS"
		case name == "MapMaxConcurrency":
			return "10"
		}
		return "sample"
	})
}

func TestASLTransitions(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var def map[string]any
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		checkStates(t, f, def)
	}
}

func checkStates(t *testing.T, file string, def map[string]any) {
	states, _ := def["States"].(map[string]any)
	if _, ok := states[def["StartAt"].(string)]; !ok {
		t.Errorf("%s: StartAt %v is not a state", file, def["StartAt"])
	}
	targets := func(s map[string]any) []string {
		var out []string
		if n, ok := s["Next"].(string); ok {
			out = append(out, n)
		}
		if n, ok := s["Default"].(string); ok {
			out = append(out, n)
		}
		for _, key := range []string{"Choices", "Catch"} {
			list, _ := s[key].([]any)
			for _, c := range list {
				if n, ok := c.(map[string]any)["Next"].(string); ok {
					out = append(out, n)
				}
			}
		}
		return out
	}
	for name, v := range states {
		s := v.(map[string]any)
		for _, n := range targets(s) {
			if _, ok := states[n]; !ok {
				t.Errorf("%s: state %s goes to missing state %s", file, name, n)
			}
		}
		if p, ok := s["ItemProcessor"].(map[string]any); ok {
			checkStates(t, file+"/"+name, p)
		}
	}
}

func TestASLValidator(t *testing.T) {
	bin := filepath.Join(root, "node_modules", ".bin", "asl-validator")
	requireTool(t, bin)
	files, _ := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		tmp := filepath.Join(t.TempDir(), filepath.Base(f))
		os.WriteFile(tmp, []byte(substituted(string(b))), 0o644)
		out, err := exec.Command(bin, "--json-path", tmp).CombinedOutput()
		if err != nil {
			t.Errorf("asl-validator %s: %v\n%s", f, err, out)
		}
	}
}

func TestCfnLint(t *testing.T) {
	requireTool(t, "cfn-lint")
	cmd := exec.Command("cfn-lint", "template.yaml")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}
