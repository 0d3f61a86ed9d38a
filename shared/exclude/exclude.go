// Package exclude holds the user's exclusion rules, the reference's main
// cost control (reference-spec §2.12): field patterns on the raw record
// (exclude_log_patterns.csv in the geo bucket, or the YAML config) and
// conditions on the normalized document (JMESPath expressions, as the
// reference keeps in Parameter Store). A rule either EXCLUDEs the record
// (it is counted as skipped, with the rule's name as the reason) or
// COUNTs it (it loads, and the match is counted by rule name).
package exclude

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jmespath/go-jmespath"
	"gopkg.in/yaml.v3"

	"github.com/siemloader/siem/shared/doc"
)

// Action is what a matching rule does.
type Action string

const (
	Exclude Action = "exclude"
	Count   Action = "count"
	// Disable turns a rule off without deleting it (the reference's
	// "disable").
	Disable Action = "disable"
)

// Pattern matches a raw field of a log type's records: the value at Field
// (a dotted path; in a list, any element) must match Pattern as a whole.
type Pattern struct {
	Name    string `yaml:"name"`
	LogType string `yaml:"log_type"`
	Field   string `yaml:"field"`
	Pattern string `yaml:"pattern"`
	// PatternType "text" matches Pattern literally; anything else
	// (default "regex") as an RE2 regex.
	PatternType string `yaml:"pattern_type"`
	Action      Action `yaml:"action"`
	Comment     string `yaml:"comment"`

	re *regexp.Regexp
}

// Condition matches a normalized document: a JMESPath expression whose
// result is truthy (not null, false, "", [], {} or 0) is a match.
type Condition struct {
	Name       string `yaml:"name"`
	LogType    string `yaml:"log_type"`
	Expression string `yaml:"expression"`
	Action     Action `yaml:"action"`

	expr *jmespath.JMESPath
}

// Rules is the exclusions section of the config file:
//
//	exclusions:
//	  patterns:
//	    - {name: elb-health, log_type: alb, field: user_agent, pattern: 'ELB-HealthChecker/.*'}
//	  conditions:
//	    - {name: describe-calls, log_type: cloudtrail, action: count,
//	       expression: "starts_with(event.action, 'Describe')"}
type Rules struct {
	Patterns   []Pattern   `yaml:"patterns"`
	Conditions []Condition `yaml:"conditions"`
}

// Set is the compiled rules, by log type.
type Set struct {
	byType map[string]*TypeRules
}

// TypeRules are the rules of one log type.
type TypeRules struct {
	patterns   []*Pattern
	conditions []*Condition
}

// Compile checks the rules and groups them by log type. Errors name the
// rule. known, when not nil, reports whether a log type exists: a rule for
// a misspelt type would never apply.
func Compile(r Rules, known func(string) bool) (*Set, error) {
	s := &Set{byType: map[string]*TypeRules{}}
	seen := map[string]bool{}
	name := func(kind string, i int, n, logType string) (string, error) {
		if n == "" {
			n = fmt.Sprintf("%s-%s-%d", logType, kind, i+1)
		}
		if seen[n] {
			return "", fmt.Errorf("exclusion rule %q defined twice", n)
		}
		seen[n] = true
		if logType == "" {
			return "", fmt.Errorf("exclusion rule %q: log_type: required", n)
		}
		if known != nil && !known(logType) {
			return "", fmt.Errorf("exclusion rule %q: log_type: no log type named %q", n, logType)
		}
		return n, nil
	}
	for i := range r.Patterns {
		p := r.Patterns[i]
		var err error
		if p.Name, err = name("pattern", i, p.Name, p.LogType); err != nil {
			return nil, err
		}
		if p.Action, err = action(p.Action); err != nil {
			return nil, fmt.Errorf("exclusion rule %q: %w", p.Name, err)
		}
		if p.Field == "" {
			return nil, fmt.Errorf("exclusion rule %q: field: required", p.Name)
		}
		expr := p.Pattern
		if strings.EqualFold(p.PatternType, "text") {
			expr = regexp.QuoteMeta(expr)
		}
		if p.re, err = regexp.Compile(`^(?:` + expr + `)$`); err != nil {
			return nil, fmt.Errorf("exclusion rule %q: pattern: %v", p.Name, err)
		}
		if p.Action != Disable {
			s.of(p.LogType).patterns = append(s.of(p.LogType).patterns, &p)
		}
	}
	for i := range r.Conditions {
		c := r.Conditions[i]
		var err error
		if c.Name, err = name("condition", i, c.Name, c.LogType); err != nil {
			return nil, err
		}
		if c.Action, err = action(c.Action); err != nil {
			return nil, fmt.Errorf("exclusion rule %q: %w", c.Name, err)
		}
		if c.expr, err = jmespath.Compile(c.Expression); err != nil {
			return nil, fmt.Errorf("exclusion rule %q: expression: %v", c.Name, err)
		}
		if c.Action != Disable {
			s.of(c.LogType).conditions = append(s.of(c.LogType).conditions, &c)
		}
	}
	return s, nil
}

func action(a Action) (Action, error) {
	switch Action(strings.ToLower(string(a))) {
	case "", Exclude:
		return Exclude, nil
	case Count:
		return Count, nil
	case Disable:
		return Disable, nil
	}
	return "", fmt.Errorf("action: %q is not exclude, count or disable", a)
}

func (s *Set) of(logType string) *TypeRules {
	t := s.byType[logType]
	if t == nil {
		t = &TypeRules{}
		s.byType[logType] = t
	}
	return t
}

// For returns the rules of a log type, nil when it has none (the common
// case costs one nil check per record).
func (s *Set) For(logType string) *TypeRules {
	if s == nil {
		return nil
	}
	return s.byType[logType]
}

// Len is the number of active rules.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, t := range s.byType {
		n += len(t.patterns) + len(t.conditions)
	}
	return n
}

// Merge returns the rules of a and b together (a's first); either may be
// nil.
func Merge(a, b *Set) *Set {
	if a.Len() == 0 {
		return b
	}
	if b.Len() == 0 {
		return a
	}
	s := &Set{byType: map[string]*TypeRules{}}
	for _, from := range []*Set{a, b} {
		for lt, t := range from.byType {
			to := s.of(lt)
			to.patterns = append(to.patterns, t.patterns...)
			to.conditions = append(to.conditions, t.conditions...)
		}
	}
	return s
}

// Match is a rule that matched a record.
type Match struct {
	Rule   string
	Action Action
}

// Reason is the skip reason of a record a rule excluded.
func (m Match) Reason() string { return "excluded by rule " + m.Rule }

// Raw checks the field patterns against a record's raw fields. It returns
// the first EXCLUDE match, if any, and calls count for each COUNT match.
func (t *TypeRules) Raw(fields map[string]any, count func(rule string)) (Match, bool) {
	if t == nil {
		return Match{}, false
	}
	for _, p := range t.patterns {
		v, ok := doc.Get(fields, p.Field)
		if !ok || !matchValue(p.re, v) {
			continue
		}
		if p.Action == Exclude {
			return Match{p.Name, Exclude}, true
		}
		if count != nil {
			count(p.Name)
		}
	}
	return Match{}, false
}

// HasConditions reports whether Doc has anything to check.
func (t *TypeRules) HasConditions() bool { return t != nil && len(t.conditions) > 0 }

// Doc checks the conditions against a normalized document, as Raw.
func (t *TypeRules) Doc(d map[string]any, count func(rule string)) (Match, bool) {
	if !t.HasConditions() {
		return Match{}, false
	}
	// JMESPath compares numbers as float64: give it the document with
	// its JSON numbers as such (only for types with conditions).
	v := plain(d)
	for _, c := range t.conditions {
		res, err := c.expr.Search(v)
		if err != nil || !truthy(res) {
			continue
		}
		if c.Action == Exclude {
			return Match{c.Name, Exclude}, true
		}
		if count != nil {
			count(c.Name)
		}
	}
	return Match{}, false
}

func matchValue(re *regexp.Regexp, v any) bool {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if matchValue(re, e) {
				return true
			}
		}
		return false
	case string:
		return re.MatchString(t)
	case json.Number:
		return re.MatchString(t.String())
	case nil:
		return false
	case map[string]any:
		b, err := doc.AppendJSON(nil, t)
		return err == nil && re.Match(b)
	default:
		return re.MatchString(fmt.Sprint(t))
	}
}

// plain copies a document with json.Number values as float64 (and other
// integers too), the number type JMESPath compares.
func plain(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = plain(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = plain(e)
		}
		return l
	case []string:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = e
		}
		return l
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case float32:
		return float64(t)
	case string, bool, float64, nil:
		return t
	default:
		return fmt.Sprint(t)
	}
}

// truthy is Python's truth, which the reference applies to a result.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case float64:
		return t != 0
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

// ParseCSV reads exclude_log_patterns.csv: a header naming the columns
// log_type, field and pattern, and optionally pattern_type (text or
// regex, the reference's column), action (exclude, the default, count
// or disable), name and comment. A row without a name is named after
// the file's line ("exclude_log_patterns.csv:3").
func ParseCSV(r io.Reader, file string) ([]Pattern, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"log_type", "field", "pattern"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: header has no %s column (want log_type,field,pattern,pattern_type,comment)", file, need)
		}
	}
	var out []Pattern
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if get("log_type") == "" && get("field") == "" && get("pattern") == "" {
			continue
		}
		p := Pattern{Name: get("name"), LogType: get("log_type"), Field: get("field"), Pattern: get("pattern"),
			PatternType: get("pattern_type"), Action: Action(get("action")), Comment: get("comment")}
		if p.Name == "" {
			p.Name = file + ":" + strconv.Itoa(line)
		}
		out = append(out, p)
	}
}

// FromConfig reads the exclusions section of a config file (the same
// file as the custom log types); a file without one gives no rules.
func FromConfig(src []byte) (Rules, error) {
	var cfg struct {
		LogTypes   yaml.Node `yaml:"log_types"`
		Exclusions Rules     `yaml:"exclusions"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true) // a misspelt key must not turn a rule off
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Rules{}, fmt.Errorf("exclusions: %w", err)
	}
	return cfg.Exclusions, nil
}

// Names lists the active rules, sorted (for logs and summaries).
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, t := range s.byType {
		for _, p := range t.patterns {
			out = append(out, p.Name)
		}
		for _, c := range t.conditions {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Load compiles the rules of a config file (its exclusions section; nil
// for none) and of an exclude_log_patterns.csv (nil for none), the config's
// first. known is as for Compile.
func Load(config []byte, csvFile io.Reader, csvName string, known func(string) bool) (*Set, error) {
	var rules Rules
	if config != nil {
		r, err := FromConfig(config)
		if err != nil {
			return nil, err
		}
		rules = r
	}
	if csvFile != nil {
		p, err := ParseCSV(csvFile, csvName)
		if err != nil {
			return nil, err
		}
		rules.Patterns = append(rules.Patterns, p...)
	}
	return Compile(rules, known)
}
