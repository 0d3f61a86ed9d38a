package static_test

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// plain turns a template node into maps, slices and strings; a short-form
// intrinsic (!Ref X, !Sub "...", !If [...]) becomes a one-key map
// {"Ref": X}, {"Fn::Sub": ...}, as its long form would read.
func plain(n *yaml.Node) any {
	if n == nil {
		return nil
	}
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return plain(n.Content[0])
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, plain(c))
		}
		v = s
	default:
		v = n.Value
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		name := tag[1:]
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		if name == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				v = strings.SplitN(s, ".", 2)
				parts := v.([]string)
				v = []any{parts[0], parts[len(parts)-1]}
			}
		}
		return map[string]any{name: v}
	}
	return v
}

// props returns a resource's Properties as plain values ("" when absent).
func (tpl *template) props(id string) map[string]any {
	r := tpl.resource(id)
	if r == nil {
		return nil
	}
	m, _ := plain(r.Props).(map[string]any)
	return m
}

// dig follows keys (map keys, or "#n" for a list index) through plain values.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := -1
			if strings.HasPrefix(k, "#") {
				i = atoi(k[1:])
			}
			if i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return -1
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// contains reports whether a plain value holds want anywhere (a string
// equal to it, at any depth).
func contains(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case map[string]any:
		for _, e := range x {
			if contains(e, want) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if contains(e, want) {
				return true
			}
		}
	}
	return false
}
