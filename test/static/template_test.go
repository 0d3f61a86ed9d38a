package static_test

import (
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

// placeholder is a DefinitionSubstitutions reference in an ASL file.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// stateMachine is an AWS::Serverless::StateMachine with a DefinitionUri.
type stateMachine struct {
	ID            string
	DefinitionURI string
	// Substitutions maps each DefinitionSubstitutions name to its value node.
	Substitutions map[string]*yaml.Node
}

// stateMachines returns the template's state machines by DefinitionUri.
func stateMachines(tpl *template) (map[string]stateMachine, []string) {
	out := map[string]stateMachine{}
	var problems []string
	for _, r := range tpl.resources() {
		if r.Type != "AWS::Serverless::StateMachine" && r.Type != "AWS::StepFunctions::StateMachine" {
			continue
		}
		uri := get(r.Props, "DefinitionUri")
		if uri == nil || uri.Kind != yaml.ScalarNode || uri.Tag == "!Sub" {
			problems = append(problems, fmt.Sprintf("state machine %s: no DefinitionUri naming a file under statemachines/", r.ID))
			continue
		}
		sm := stateMachine{ID: r.ID, DefinitionURI: uri.Value, Substitutions: map[string]*yaml.Node{}}
		subs := get(r.Props, "DefinitionSubstitutions")
		for _, name := range keys(subs) {
			sm.Substitutions[name] = get(subs, name)
		}
		if prev, dup := out[sm.DefinitionURI]; dup {
			problems = append(problems, fmt.Sprintf("state machines %s and %s share DefinitionUri %s", prev.ID, r.ID, sm.DefinitionURI))
		}
		out[sm.DefinitionURI] = sm
	}
	return out, problems
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
	for _, u := range sortedKeys(used) {
		if !have[u] {
			problems = append(problems, fmt.Sprintf("placeholder ${%s} has no DefinitionSubstitutions entry", u))
		}
	}
	for _, h := range sortedKeys(have) {
		if !used[h] {
			problems = append(problems, fmt.Sprintf("substitution %s is not used by the definition", h))
		}
	}
	return problems
}

// checkDefinitions matches ASL files and state machines both ways and
// checks each file's placeholders against its substitutions.
func checkDefinitions(tpl *template, files map[string]string) []string {
	machines, problems := stateMachines(tpl)
	for _, f := range sortedKeys(files) {
		sm, ok := machines[f]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not the DefinitionUri of any state machine in template.yaml", f))
			continue
		}
		for _, p := range checkPlaceholders(files[f], sortedKeys(sm.Substitutions)) {
			problems = append(problems, fmt.Sprintf("%s (%s): %s", f, sm.ID, p))
		}
	}
	for _, uri := range sortedKeys(machines) {
		if _, ok := files[uri]; !ok {
			problems = append(problems, fmt.Sprintf("state machine %s: DefinitionUri %s is not a statemachines/*.asl.json file", machines[uri].ID, uri))
		}
	}
	return problems
}

func TestASLPlaceholders(t *testing.T) {
	tpl := loadTemplate(t)
	files := map[string]string{}
	for _, f := range aslFiles(t) {
		files[f] = string(readFile(t, f))
	}
	for _, p := range checkDefinitions(tpl, files) {
		t.Error(p)
	}
}

func TestCheckPlaceholders(t *testing.T) {
	asl := `{"A": "${A}", "B": "${B}", "again": "${A}"}`
	expectProblems(t, "clean", checkPlaceholders(asl, []string{"A", "B"}))
	expectProblems(t, "placeholder removed from the template", checkPlaceholders(asl, []string{"A"}), "${B} has no DefinitionSubstitutions")
	expectProblems(t, "placeholder removed from the file", checkPlaceholders(`{"A": "${A}"}`, []string{"A", "B"}), "B is not used")
	expectProblems(t, "both", checkPlaceholders(`{"A": "${A}"}`, []string{"C"}), "${A} has no", "C is not used")
}

func TestCheckDefinitions(t *testing.T) {
	const good = `
Resources:
  Fn:
    Type: AWS::Serverless::Function
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/m.asl.json
      DefinitionSubstitutions:
        FnArn: !GetAtt Fn.Arn
        Kind: !Ref KindParam
`
	files := map[string]string{"statemachines/m.asl.json": `{"Resource": "${FnArn}", "Type": "${Kind}"}`}
	parse := func(src string) *template {
		tpl, err := parseTemplate([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return tpl
	}
	expectProblems(t, "clean", checkDefinitions(parse(good), files))

	dropped := strings.Replace(good, "        Kind: !Ref KindParam\n", "", 1)
	expectProblems(t, "substitution removed", checkDefinitions(parse(dropped), files), "${Kind} has no DefinitionSubstitutions")

	extra := strings.Replace(good, "        Kind: !Ref KindParam\n", "        Kind: !Ref KindParam\n        Unused: x\n", 1)
	expectProblems(t, "substitution added", checkDefinitions(parse(extra), files), "Unused is not used")

	moved := strings.Replace(good, "statemachines/m.asl.json", "statemachines/other.asl.json", 1)
	expectProblems(t, "DefinitionUri points elsewhere", checkDefinitions(parse(moved), files),
		"m.asl.json is not the DefinitionUri", "other.asl.json is not a statemachines")

	inline := strings.Replace(good, "      DefinitionUri: statemachines/m.asl.json\n", "", 1)
	expectProblems(t, "no DefinitionUri", checkDefinitions(parse(inline), files), "no DefinitionUri", "m.asl.json is not the DefinitionUri")
}

// TestTemplateFunctions checks what `sam build` relies on: the runtime,
// architecture and handler come from Globals only, and each function is
// built by a Makefile target writing $(ARTIFACTS_DIR)/bootstrap.
func TestTemplateFunctions(t *testing.T) {
	tpl := loadTemplate(t)
	globals := path(tpl.top, "Globals", "Function")
	want := map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap"}
	for k, v := range want {
		if n := get(globals, k); n == nil || n.Value != v {
			t.Errorf("Globals.Function.%s: want %s", k, v)
		}
	}
	if a := get(globals, "Architectures"); a == nil || len(a.Content) != 1 || a.Content[0].Value != "arm64" {
		t.Errorf("Globals.Function.Architectures: want [arm64]")
	}
	fns := tpl.functions()
	if len(fns) == 0 {
		t.Fatal("no AWS::Serverless::Function")
	}
	_, makeErr := exec.LookPath("make")
	for _, fn := range fns {
		for _, k := range []string{"Architectures", "Runtime", "Handler"} {
			if get(fn.Props, k) != nil {
				// Architectures lists merge with Globals (cfn-lint error);
				// the others would drift from the build.
				t.Errorf("%s sets %s: it belongs in Globals.Function only", fn.ID, k)
			}
		}
		if n := path(fn.Node, "Metadata", "BuildMethod"); n == nil || n.Value != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod must be makefile", fn.ID)
		}
		if n := get(fn.Props, "CodeUri"); n == nil || n.Value != "." {
			t.Errorf("%s: CodeUri must be . (the Makefile and go.mod are at the root)", fn.ID)
		}
		if makeErr != nil {
			continue
		}
		// What `sam build` runs, dry: the target exists and builds a package.
		art := filepath.Join(t.TempDir(), "artifacts")
		out, err := exec.Command("make", "-s", "-n", "-C", root, "build-"+fn.ID, "ARTIFACTS_DIR="+art).CombinedOutput()
		if err != nil {
			t.Errorf("make build-%s: %v\n%s", fn.ID, err, out)
			continue
		}
		if !strings.Contains(string(out), art+"/bootstrap") {
			t.Errorf("make build-%s does not write $(ARTIFACTS_DIR)/bootstrap:\n%s", fn.ID, out)
		}
		pkg := regexp.MustCompile(`\./functions/[A-Za-z0-9_-]+`).FindString(string(out))
		if pkg == "" {
			t.Errorf("make build-%s builds no ./functions/<name> package:\n%s", fn.ID, out)
		} else if _, err := os.Stat(filepath.Join(root, pkg, "main.go")); err != nil {
			t.Errorf("make build-%s builds %s: %v", fn.ID, pkg, err)
		}
	}
}

// pendingEnv lists variables the template sets that no code reads yet.
var pendingEnv = map[string]string{}

// templateEnv returns each function's environment variable names
// (Globals included).
func templateEnv(tpl *template) map[string][]string {
	global := keys(path(tpl.top, "Globals", "Function", "Environment", "Variables"))
	out := map[string][]string{}
	for _, fn := range tpl.functions() {
		names := append([]string(nil), global...)
		names = append(names, keys(path(fn.Props, "Environment", "Variables"))...)
		sort.Strings(names)
		out[fn.ID] = names
	}
	return out
}

// TestTemplateEnvironment checks that every variable the template sets is
// read by the Go code (a typo would be silently ignored), and that
// events/env.json, which `sam local invoke` uses, only overrides variables
// the template declares (sam ignores the others).
func TestTemplateEnvironment(t *testing.T) {
	tpl := loadTemplate(t)
	var src strings.Builder
	for _, dir := range []string{"shared", "functions", "cmd"} {
		filepath.Walk(filepath.Join(root, dir), func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
				b, _ := os.ReadFile(p)
				src.Write(b)
			}
			return nil
		})
	}
	code := src.String()
	declared := map[string]bool{}
	for fn, names := range templateEnv(tpl) {
		for _, name := range names {
			declared[name] = true
			if !strings.Contains(code, `"`+name+`"`) {
				if why, ok := pendingEnv[name]; ok {
					t.Logf("%s: %s is set but not read yet (%s)", fn, name, why)
					continue
				}
				t.Errorf("%s: environment variable %s is read by no Go code", fn, name)
			}
		}
	}

	var env map[string]map[string]any
	if err := jsonUnmarshalStrict(readFile(t, "events/env.json"), &env); err != nil {
		t.Fatalf("events/env.json: %v", err)
	}
	fnEnv := templateEnv(tpl)
	for scope, vars := range env {
		allowed := declared
		if scope != "Parameters" {
			names, ok := fnEnv[scope]
			if !ok {
				t.Errorf("events/env.json: %s is neither Parameters nor a function of template.yaml", scope)
				continue
			}
			allowed = map[string]bool{}
			for _, n := range names {
				allowed[n] = true
			}
		}
		for name := range vars {
			if !allowed[name] {
				t.Errorf("events/env.json %s.%s: not declared in template.yaml, so sam local invoke ignores it", scope, name)
			}
		}
	}
}

// TestCfnLint runs cfn-lint (SAM transform included); warnings fail too.
func TestCfnLint(t *testing.T) {
	requireTool(t, "cfn-lint", "pip install cfn-lint")
	cmd := exec.Command("cfn-lint", "template.yaml")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}
