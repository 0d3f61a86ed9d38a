package static_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/siemloader/siem/shared/pipeline"
)

// decodeASL parses a definition, keeping numbers as written.
func decodeASL(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var def map[string]any
	if err := dec.Decode(&def); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the definition")
	}
	return def, nil
}

// graph is one level of states: the machine, a Map's ItemProcessor (or
// Iterator) or a Parallel branch.
type graph struct {
	where  string
	def    map[string]any
	states map[string]map[string]any
}

// graphs returns every level of states, the machine first.
func graphs(where string, def map[string]any) []graph {
	g := graph{where: where, def: def, states: map[string]map[string]any{}}
	raw, _ := def["States"].(map[string]any)
	for name, v := range raw {
		s, _ := v.(map[string]any)
		g.states[name] = s
	}
	out := []graph{g}
	for _, name := range sortedKeys(g.states) {
		s := g.states[name]
		for _, key := range []string{"ItemProcessor", "Iterator"} {
			if sub, ok := s[key].(map[string]any); ok {
				out = append(out, graphs(where+"/"+name, sub)...)
			}
		}
		branches, _ := s["Branches"].([]any)
		for i, b := range branches {
			if sub, ok := b.(map[string]any); ok {
				out = append(out, graphs(fmt.Sprintf("%s/%s[%d]", where, name, i), sub)...)
			}
		}
	}
	return out
}

// transitions returns the states a state can go to.
func transitions(s map[string]any) []string {
	var out []string
	for _, key := range []string{"Next", "Default"} {
		if n, ok := s[key].(string); ok {
			out = append(out, n)
		}
	}
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := s[key].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				if n, ok := m["Next"].(string); ok {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

var stateTypes = map[string]bool{"Task": true, "Pass": true, "Choice": true, "Wait": true, "Succeed": true, "Fail": true, "Parallel": true, "Map": true}

// checkTransitions is a light structural check: StartAt and every
// Next/Default/Choices/Catch target exist, each state ends or goes on,
// and every state is reachable.
func checkTransitions(def map[string]any) []string {
	var problems []string
	for _, g := range graphs("", def) {
		at := g.where
		if at == "" {
			at = "top level"
		}
		start, _ := g.def["StartAt"].(string)
		if _, ok := g.states[start]; !ok {
			problems = append(problems, fmt.Sprintf("%s: StartAt %q is not a state", at, start))
		}
		for _, name := range sortedKeys(g.states) {
			s := g.states[name]
			typ, _ := s["Type"].(string)
			if !stateTypes[typ] {
				problems = append(problems, fmt.Sprintf("%s: state %s has Type %q", at, name, typ))
				continue
			}
			for _, n := range transitions(s) {
				if _, ok := g.states[n]; !ok {
					problems = append(problems, fmt.Sprintf("%s: state %s goes to missing state %s", at, name, n))
				}
			}
			_, hasNext := s["Next"].(string)
			end, _ := s["End"].(bool)
			switch typ {
			case "Choice":
				if c, _ := s["Choices"].([]any); len(c) == 0 {
					problems = append(problems, fmt.Sprintf("%s: Choice %s has no Choices", at, name))
				}
			case "Succeed", "Fail":
			default:
				if hasNext == end {
					problems = append(problems, fmt.Sprintf("%s: state %s needs exactly one of Next and End", at, name))
				}
			}
		}
		seen := map[string]bool{}
		todo := []string{start}
		for len(todo) > 0 {
			n := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			if seen[n] || g.states[n] == nil {
				continue
			}
			seen[n] = true
			todo = append(todo, transitions(g.states[n])...)
		}
		for _, name := range sortedKeys(g.states) {
			if !seen[name] {
				problems = append(problems, fmt.Sprintf("%s: state %s is unreachable", at, name))
			}
		}
	}
	return problems
}

// TestASLValidJSON: each definition is JSON (placeholders only inside
// strings) and its transitions hold together.
func TestASLValidJSON(t *testing.T) {
	for _, f := range aslFiles(t) {
		def, err := decodeASL(readFile(t, f))
		if err != nil {
			t.Errorf("%s is not valid JSON: %v", f, err)
			continue
		}
		for _, p := range checkTransitions(def) {
			t.Errorf("%s: %s", f, p)
		}
	}
}

func TestCheckTransitions(t *testing.T) {
	check := func(name, src string, want ...string) {
		t.Helper()
		def, err := decodeASL([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		expectProblems(t, name, checkTransitions(def), want...)
	}
	check("clean", `{"StartAt": "A", "States": {
		"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": true, "Next": "B"}], "Default": "C"},
		"B": {"Type": "Task", "Resource": "r", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}], "End": true},
		"C": {"Type": "Map", "ItemProcessor": {"StartAt": "D", "States": {"D": {"Type": "Pass", "End": true}}}, "Next": "E"},
		"E": {"Type": "Succeed"}}}`)
	check("missing StartAt", `{"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}`, `StartAt "X"`, "A is unreachable")
	check("missing Next", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}`, "missing state B")
	check("missing Default", `{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": true, "Next": "A"}], "Default": "Z"}}}`, "missing state Z")
	check("missing Catch target", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}], "End": true}}}`, "missing state Gone")
	check("neither Next nor End", `{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}`, "exactly one of Next and End")
	check("missing target in a Map", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "D", "States": {"D": {"Type": "Pass", "Next": "Outer"}}}, "Next": "Outer"}, "Outer": {"Type": "Succeed"}}}`, "/M: state D goes to missing state Outer")
	check("bad type", `{"StartAt": "A", "States": {"A": {"Type": "Lambda", "End": true}}}`, `Type "Lambda"`)
}

// Error handling rules of the ingest design.
var (
	// transientErrors must be retried with backoff on every Lambda task;
	// the ingest steps' own RetryableError (OpenSearch throttling, S3
	// slow-downs) too.
	transientErrors = []string{
		"Lambda.ServiceException",
		"Lambda.AWSLambdaException",
		"Lambda.SdkClientException",
		"Lambda.TooManyRequestsException",
	}
	// chunkFunctions process records (a chunk, or a batch of objects): if
	// one fails for good it must be caught and dead-lettered, never dropped.
	chunkFunctions = map[string]bool{"${LoadFunctionArn}": true}
	// deadLetterFunction takes {chunk|objects, error} from a Catch.
	deadLetterFunction = "${SplitFunctionArn}"
	// ingestFunctions raise RetryableError.
	ingestFunctions = map[string]bool{"${SplitFunctionArn}": true, "${LoadFunctionArn}": true}
)

func isLambdaTask(s map[string]any) bool {
	r, _ := s["Resource"].(string)
	return s["Type"] == "Task" && (strings.HasPrefix(r, "arn:aws:states:::lambda:invoke") || strings.Contains(r, ":lambda:") || strings.Contains(r, "FunctionArn}"))
}

func stringSet(v any) map[string]bool {
	out := map[string]bool{}
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			out[s] = true
		}
	}
	return out
}

// checkErrorHandling: every Lambda task retries each transient error with
// full jitter (one retrier or several: throttling may wait longer than a
// fault); every task processing records (Load with Payload.$ for a chunk,
// or Payload {objects.$} for a batch) catches States.ALL into $.error, so
// its input, which holds the chunk or the objects, reaches a dead-letter
// task that sends {chunk|objects, error} to the split function.
func checkErrorHandling(def map[string]any) []string {
	var problems []string
	for _, g := range graphs("", def) {
		for _, name := range sortedKeys(g.states) {
			s := g.states[name]
			where := strings.TrimPrefix(g.where+"/"+name, "/")
			if !isLambdaTask(s) {
				continue
			}
			params, _ := s["Parameters"].(map[string]any)
			fn, _ := params["FunctionName"].(string)
			want := transientErrors
			if ingestFunctions[fn] {
				want = append([]string{"RetryableError"}, want...)
			}
			covered := map[string]bool{}
			retries, _ := s["Retry"].([]any)
			for _, r := range retries {
				m, _ := r.(map[string]any)
				if m["JitterStrategy"] != "FULL" {
					continue
				}
				for e := range stringSet(m["ErrorEquals"]) {
					covered[e] = true
				}
			}
			all := true
			for _, e := range want {
				all = all && covered[e]
			}
			if !all {
				problems = append(problems, fmt.Sprintf("%s: no Retry of %s with JitterStrategy FULL", where, strings.Join(want, ", ")))
			}
			_, payloadPath := params["Payload.$"]
			inPayload, _ := params["Payload"].(map[string]any)
			carried, carriedPath, failAction := "chunk.$", "$.chunk", pipeline.ActionFailChunk
			_, chunk := inPayload["chunk.$"]
			_, batch := inPayload["objects.$"]
			if batch {
				carried, carriedPath, failAction = "objects.$", "$.objects", pipeline.ActionFailBatch
			}
			catches, _ := s["Catch"].([]any)
			if chunkFunctions[fn] && (payloadPath || chunk || batch) {
				caught := false
				for _, c := range catches {
					if m, _ := c.(map[string]any); stringSet(m["ErrorEquals"])["States.ALL"] {
						caught = true
					}
				}
				if !caught {
					problems = append(problems, fmt.Sprintf("%s processes a chunk but has no Catch of States.ALL: a failed chunk would be lost", where))
				}
			}
			for _, c := range catches {
				m, _ := c.(map[string]any)
				if !chunkFunctions[fn] {
					continue // other machines' catches only need a target (checkTransitions)
				}
				if rp, _ := m["ResultPath"].(string); rp != "$.error" {
					problems = append(problems, fmt.Sprintf("%s: Catch ResultPath %q, want \"$.error\" (keeps the chunk of the state input next to the error)", where, rp))
				}
				next, _ := m["Next"].(string)
				target := g.states[next]
				if target == nil {
					continue // checkTransitions reports it
				}
				tp, _ := target["Parameters"].(map[string]any)
				payload, _ := tp["Payload"].(map[string]any)
				if target["Type"] != "Task" || tp["FunctionName"] != deadLetterFunction || payload["action"] != string(failAction) || payload[carried] != carriedPath || payload["error.$"] != "$.error" {
					problems = append(problems, fmt.Sprintf("%s: Catch goes to %s, which must invoke %s with Payload {\"action\": %q, %q: %q, \"error.$\": \"$.error\"}", where, next, deadLetterFunction, failAction, carried, carriedPath))
				}
			}
		}
	}
	return problems
}

func TestASLErrorHandling(t *testing.T) {
	for _, f := range aslFiles(t) {
		def, err := decodeASL(readFile(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range checkErrorHandling(def) {
			t.Errorf("%s: %s", f, p)
		}
	}
}

func TestCheckErrorHandling(t *testing.T) {
	const retry = `"Retry": [{"ErrorEquals": ["RetryableError", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"], "MaxAttempts": 6, "JitterStrategy": "FULL"}]`
	const deadLetter = `"DL": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "${SplitFunctionArn}", "Payload": {"action": "fail_chunk", "chunk.$": "$.chunk", "error.$": "$.error"}}, ` + retry + `, "End": true}`
	machine := func(parse string) string {
		return `{"StartAt": "P", "States": {"P": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "${LoadFunctionArn}", "Payload": {"action": "load_chunk", "chunk.$": "$.chunk"}}, ` + parse + `, "End": true}, ` + deadLetter + `}}`
	}
	check := func(name, src string, want ...string) {
		t.Helper()
		def, err := decodeASL([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, src)
		}
		expectProblems(t, name, checkErrorHandling(def), want...)
	}
	catch := `"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DL"}]`
	check("clean", machine(retry+", "+catch))
	check("no Retry", machine(catch), "P: no Retry")
	check("Retry without jitter", machine(strings.Replace(retry, `, "JitterStrategy": "FULL"`, "", 1)+", "+catch), "P: no Retry")
	check("Retry missing an error", machine(strings.Replace(retry, `"Lambda.TooManyRequestsException"`, `"Other"`, 1)+", "+catch), "P: no Retry")
	check("no Catch", machine(retry), "no Catch of States.ALL")
	check("Catch overwrites the input", machine(retry+", "+strings.Replace(catch, `"$.error"`, `"$"`, 1)), `ResultPath "$"`)
	check("Catch without ResultPath", machine(retry+", "+strings.Replace(catch, `"ResultPath": "$.error", `, "", 1)), `ResultPath ""`)
	bad := strings.Replace(machine(retry+", "+catch), `"chunk.$": "$.chunk", "error.$"`, `"error.$"`, 1)
	check("dead letter without the chunk", bad, "Catch goes to DL")
	check("dead letter without its action", strings.Replace(machine(retry+", "+catch), `"action": "fail_chunk", `, "", 1), `Catch goes to DL, which must invoke ${SplitFunctionArn} with Payload {"action": "fail_chunk"`)
	inMap := `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": ` + machine(retry) + `, "End": true}}}`
	check("in a Map", inMap, "M/P processes a chunk but has no Catch")
	// Throttling in its own long-backoff retrier is fine, without jitter not.
	split := `"Retry": [{"ErrorEquals": ["RetryableError", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"], "JitterStrategy": "FULL"}, {"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 200, "JitterStrategy": "FULL"}]`
	check("throttling retried apart", machine(split+", "+catch))
	check("throttling retried apart without jitter", machine(strings.Replace(split, `"MaxAttempts": 200, "JitterStrategy": "FULL"`, `"MaxAttempts": 200`, 1)+", "+catch), "P: no Retry")
	check("chunk by path without Catch", strings.Replace(machine(retry), `"Payload": {"action": "load_chunk", "chunk.$": "$.chunk"}`, `"Payload.$": "$.chunk"`, 1), "P processes a chunk but has no Catch")
	batch := strings.Replace(machine(retry+", "+catch), `"Payload": {"action": "load_chunk", "chunk.$": "$.chunk"}`, `"Payload": {"action": "load_batch", "objects.$": "$.objects"}`, 1)
	check("batch dead letter without the objects", batch, `Catch goes to DL, which must invoke ${SplitFunctionArn} with Payload {"action": "fail_batch", "objects.$": "$.objects"`)
	check("batch without Catch", strings.Replace(machine(retry), `"Payload": {"action": "load_chunk", "chunk.$": "$.chunk"}`, `"Payload": {"action": "load_batch", "objects.$": "$.objects"}`, 1), "P processes a chunk but has no Catch")
	check("batch", strings.Replace(strings.Replace(batch, `"chunk.$": "$.chunk"`, `"objects.$": "$.objects"`, 1), `"fail_chunk"`, `"fail_batch"`, 1))
}

// checkMotoCompatible rejects what moto 5.2.1's interpreter cannot run
// (see the handbook's local-aws.md): the CI executes these very files.
func checkMotoCompatible(raw string, def map[string]any) []string {
	var problems []string
	if strings.Contains(raw, "$$.Execution.StartTime") {
		problems = append(problems, "$$.Execution.StartTime makes moto's DescribeExecution fail")
	}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				val := x[k]
				at := where + "." + k
				switch k {
				case "QueryLanguage":
					if val == "JSONata" {
						problems = append(problems, at+": JSONata is not supported by moto; use JSONPath")
					}
				case "Assign", "ItemBatcher", "ResultWriter":
					problems = append(problems, at+": not supported by moto")
				case "ToleratedFailurePercentage":
					if n, ok := val.(json.Number); ok && !strings.ContainsAny(n.String(), ".eE") {
						problems = append(problems, at+": moto rejects an integer here, write "+n.String()+".0")
					}
				case "InputType":
					if val != "JSON" && val != "CSV" {
						problems = append(problems, fmt.Sprintf("%s: %v is not supported by moto (JSON or CSV)", at, val))
					}
				case "ProcessorConfig":
					pc, _ := val.(map[string]any)
					if pc["Mode"] == "DISTRIBUTED" && pc["ExecutionType"] == "EXPRESS" {
						problems = append(problems, at+": moto rejects a literal EXPRESS child type; use a ${Placeholder} so the tests can pass STANDARD")
					}
				}
				walk(at, val)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", where, i), e)
			}
		}
	}
	walk("$", def)
	return problems
}

func TestASLMotoCompatible(t *testing.T) {
	for _, f := range aslFiles(t) {
		raw := readFile(t, f)
		def, err := decodeASL(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range checkMotoCompatible(string(raw), def) {
			t.Errorf("%s: %s", f, p)
		}
	}
}

func TestCheckMotoCompatible(t *testing.T) {
	check := func(name, src string, want ...string) {
		t.Helper()
		def, err := decodeASL([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		expectProblems(t, name, checkMotoCompatible(src, def), want...)
	}
	check("clean", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ToleratedFailurePercentage": 0.0,
		"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}},
		"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "${ChildExecutionType}"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`)
	check("integer percentage", `{"States": {"M": {"ToleratedFailurePercentage": 0}}}`, "write 0.0")
	check("JSONata", `{"QueryLanguage": "JSONata", "States": {}}`, "JSONata")
	check("Assign", `{"States": {"P": {"Type": "Pass", "Assign": {"x": 1}}}}`, "Assign")
	check("batcher and writer", `{"States": {"M": {"ItemBatcher": {}, "ResultWriter": {}}}}`, "ItemBatcher", "ResultWriter")
	check("JSONL", `{"States": {"M": {"ItemReader": {"ReaderConfig": {"InputType": "JSONL"}}}}}`, "JSONL")
	check("literal EXPRESS", `{"States": {"M": {"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}}}}}`, "literal EXPRESS")
	check("StartTime", `{"States": {"P": {"Parameters": {"t.$": "$$.Execution.StartTime"}}}}`, "StartTime")
}

// sampleValue is what CloudFormation would substitute, for validation:
// a parameter's default (or value), a function's ARN.
func sampleValue(tpl *template, name string, n *yaml.Node, override map[string]string) string {
	kind, target := reference(n)
	switch kind {
	case "Ref":
		if v, ok := override[target]; ok {
			return v
		}
		if d := path(tpl.top, "Parameters", target, "Default"); d != nil {
			return d.Value
		}
		if r := tpl.resource(target); r != nil && r.Type == "AWS::Serverless::Function" {
			return target
		}
	case "GetAtt":
		id, attr, _ := strings.Cut(target, ".")
		if r := tpl.resource(id); r != nil && attr == "Arn" {
			switch r.Type {
			case "AWS::Serverless::Function", "AWS::Lambda::Function":
				return "arn:aws:lambda:us-east-1:123456789012:function:" + id
			case "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine":
				return "arn:aws:states:us-east-1:123456789012:stateMachine:" + id
			case "AWS::S3::Bucket":
				return "arn:aws:s3:::" + strings.ToLower(id)
			}
		}
	}
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!Sub" && !strings.HasPrefix(n.Tag, "!") {
		return n.Value
	}
	return "sample-" + name
}

// substitute replaces the placeholders as CloudFormation does.
func substitute(asl string, values map[string]string) string {
	return placeholder.ReplaceAllStringFunc(asl, func(m string) string {
		if v, ok := values[placeholder.FindStringSubmatch(m)[1]]; ok {
			return v
		}
		return m
	})
}

// TestASLValidator runs asl-validator on each definition as deployed:
// placeholders substituted with the template's defaults, and once more
// for every other AllowedValue of a parameter that feeds a substitution
// (ChildExecutionType STANDARD, say). The raw files hold placeholders in
// enum fields, which asl-validator rightly refuses.
func TestASLValidator(t *testing.T) {
	bin := filepath.Join(root, "node_modules", ".bin", "asl-validator")
	requireTool(t, bin, "run npm ci at the repository root")
	tpl := loadTemplate(t)
	machines, _ := stateMachines(tpl)
	for _, f := range aslFiles(t) {
		sm, ok := machines[f]
		if !ok {
			continue // TestASLPlaceholders reports it
		}
		variants := []map[string]string{{}}
		for _, name := range sortedKeys(sm.Substitutions) {
			kind, param := reference(sm.Substitutions[name])
			if kind != "Ref" {
				continue
			}
			def := path(tpl.top, "Parameters", param, "Default")
			allowed := path(tpl.top, "Parameters", param, "AllowedValues")
			if allowed == nil {
				continue
			}
			for _, v := range allowed.Content {
				if def == nil || v.Value != def.Value {
					variants = append(variants, map[string]string{param: v.Value})
				}
			}
		}
		raw := string(readFile(t, f))
		for _, override := range variants {
			values := map[string]string{}
			for _, name := range sortedKeys(sm.Substitutions) {
				values[name] = sampleValue(tpl, name, sm.Substitutions[name], override)
			}
			tmp := filepath.Join(t.TempDir(), filepath.Base(f))
			if err := os.WriteFile(tmp, []byte(substitute(raw, values)), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "--json-path", tmp).CombinedOutput()
			if err != nil {
				t.Errorf("asl-validator %s with %v: %v\n%s", f, values, err, out)
			} else {
				t.Logf("%s with %v: %s", f, override, strings.TrimSpace(string(out)))
			}
		}
	}
}

// TestASLMaxConcurrency: the ingest and backfill Maps' MaxConcurrency, the
// throttle that protects the cluster, comes from a template parameter
// through a Pass state, since a placeholder cannot stand where the JSON
// needs a number.
func TestASLMaxConcurrency(t *testing.T) {
	for f, param := range map[string]string{"statemachines/ingest.asl.json": "MapMaxConcurrency", "statemachines/backfill.asl.json": "BackfillMaxConcurrency"} {
		re := regexp.MustCompile(`"max_concurrency\.\$":\s*"States\.StringToJson\('\$\{` + param + `\}'\)"`)
		raw := readFile(t, f)
		def, _ := decodeASL(raw)
		maps := 0
		for _, g := range graphs("", def) {
			for _, name := range sortedKeys(g.states) {
				s := g.states[name]
				pc, _ := s["ItemProcessor"].(map[string]any)
				if cfg, _ := pc["ProcessorConfig"].(map[string]any); cfg["Mode"] != "DISTRIBUTED" {
					continue
				}
				maps++
				if _, fixed := s["MaxConcurrency"]; fixed {
					t.Errorf("%s: %s has a fixed MaxConcurrency; feed it from ${%s}", f, name, param)
				}
				if s["MaxConcurrencyPath"] != "$.max_concurrency" || !re.Match(raw) {
					t.Errorf("%s: %s must read MaxConcurrencyPath $.max_concurrency, set from States.StringToJson('${%s}')", f, name, param)
				}
			}
		}
		if maps == 0 {
			t.Errorf("%s has no Distributed Map", f)
		}
	}
}

// actionFunctions: the placeholder of each function that takes an
// "action" in its payload, and the pipeline function it is.
var actionFunctions = map[string]string{"${SplitFunctionArn}": pipeline.FunctionSplit, "${LoadFunctionArn}": pipeline.FunctionLoad}

// checkPayloadActions: every task invoking the split or load function
// names, in a Payload object, an action that function takes, with that
// action's required members and no others (the functions refuse any
// other payload; without an action they would take it as their plain kind).
func checkPayloadActions(def map[string]any) []string {
	var problems []string
	for _, g := range graphs("", def) {
		for _, name := range sortedKeys(g.states) {
			s := g.states[name]
			where := strings.TrimPrefix(g.where+"/"+name, "/")
			params, _ := s["Parameters"].(map[string]any)
			fnRef, _ := params["FunctionName"].(string)
			fn, ok := actionFunctions[fnRef]
			if !isLambdaTask(s) || !ok {
				continue
			}
			payload, isObject := params["Payload"].(map[string]any)
			action, _ := payload["action"].(string)
			if !isObject || !slices.Contains(pipeline.Actions(fn), pipeline.Action(action)) {
				problems = append(problems, fmt.Sprintf("%s: Payload must be an object whose \"action\" is one of %v (the %s function), not %v", where, pipeline.Actions(fn), fn, params["Payload"]))
				continue
			}
			required, optional := pipeline.ActionMembers(pipeline.Action(action))
			for key := range payload {
				m := strings.TrimSuffix(key, ".$")
				if m != "action" && !slices.Contains(required, m) && !slices.Contains(optional, m) {
					problems = append(problems, fmt.Sprintf("%s: action %s takes no member %q", where, action, m))
				}
			}
			for _, m := range required {
				_, v := payload[m]
				_, p := payload[m+".$"]
				if !v && !p {
					problems = append(problems, fmt.Sprintf("%s: action %s needs member %q", where, action, m))
				}
			}
		}
	}
	return problems
}

func TestASLPayloadActions(t *testing.T) {
	for _, f := range aslFiles(t) {
		def, err := decodeASL(readFile(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range checkPayloadActions(def) {
			t.Errorf("%s: %s", f, p)
		}
	}
}

func TestCheckPayloadActions(t *testing.T) {
	machine := func(fn, payload string) string {
		return `{"StartAt": "P", "States": {"P": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "` + fn + `", ` + payload + `}, "End": true}}}`
	}
	check := func(name, src string, want ...string) {
		t.Helper()
		def, err := decodeASL([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, src)
		}
		expectProblems(t, name, checkPayloadActions(def), want...)
	}
	check("clean", machine("${LoadFunctionArn}", `"Payload": {"action": "load_chunk", "chunk.$": "$.chunk"}`))
	check("summarize", machine("${SplitFunctionArn}", `"Payload": {"action": "summarize", "results.$": "$.results", "source.$": "$.source"}`))
	check("other function", machine("${BackfillFunctionArn}", `"Payload.$": "$"`))
	check("by path", machine("${SplitFunctionArn}", `"Payload.$": "$"`), `P: Payload must be an object whose "action"`)
	check("no action", machine("${LoadFunctionArn}", `"Payload": {"chunk.$": "$.chunk"}`), `P: Payload must be an object whose "action"`)
	check("other function's action", machine("${LoadFunctionArn}", `"Payload": {"action": "fail_chunk", "chunk.$": "$.chunk", "error.$": "$.error"}`), `"action" is one of [load_chunk load_batch]`)
	check("old member", machine("${SplitFunctionArn}", `"Payload": {"action": "summarize", "summarize.$": "$.results"}`), `takes no member "summarize"`, `needs member "results"`)
}
