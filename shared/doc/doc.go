// Package doc holds the helpers every step uses to read and write nested
// JSON documents (map[string]any) by dotted paths such as "source.geo.ip".
package doc

import (
	"sort"
	"strconv"
	"strings"
)

// Get returns the value at a dotted path. A path component made only of
// digits indexes a list, as the reference's lookups do ("items.0.instanceId").
// A literal key containing the whole remaining path (keys with dots, as some
// AWS payloads have) is tried first at each level.
func Get(m map[string]any, path string) (any, bool) {
	var cur any = m
	rest := path
	for rest != "" {
		switch c := cur.(type) {
		case map[string]any:
			if v, ok := c[rest]; ok {
				return v, true
			}
			part, tail, dotted := strings.Cut(rest, ".")
			if !dotted {
				return nil, false // part is rest: just looked up
			}
			v, ok := c[part]
			if !ok {
				return nil, false
			}
			cur, rest = v, tail
		case []any:
			part, tail, _ := strings.Cut(rest, ".")
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur, rest = c[i], tail
		default:
			return nil, false
		}
	}
	return cur, true
}

// Present reports whether v counts as a value: not nil and not "".
func Present(v any) bool {
	if v == nil {
		return false
	}
	if s, ok := v.(string); ok && s == "" {
		return false
	}
	return true
}

// GetString returns the value at path when it is a non-empty string.
func GetString(m map[string]any, path string) string {
	v, _ := Get(m, path)
	s, _ := v.(string)
	return s
}

// Set writes v at a dotted path, creating intermediate objects. An
// intermediate value that is not an object is replaced.
func Set(m map[string]any, path string, v any) {
	cur := m
	for {
		part, tail, more := strings.Cut(path, ".")
		if !more {
			cur[part] = v
			return
		}
		next, ok := cur[part].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[part] = next
		}
		cur, path = next, tail
	}
}

// Delete removes the value at a dotted path, if present.
func Delete(m map[string]any, path string) {
	cur := m
	for {
		part, tail, more := strings.Cut(path, ".")
		if !more {
			delete(cur, part)
			return
		}
		next, ok := cur[part].(map[string]any)
		if !ok {
			return
		}
		cur, path = next, tail
	}
}

// Prune removes keys whose values carry no information: nil, "", "-",
// empty objects and empty lists. It recurses into objects and into objects
// inside lists. It returns true when m itself ended up empty.
func Prune(m map[string]any) bool {
	for k, v := range m {
		if empty(v) {
			delete(m, k)
		}
	}
	return len(m) == 0
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == "" || t == "-"
	case map[string]any:
		return Prune(t)
	case []any:
		n := 0
		for _, e := range t {
			if em, ok := e.(map[string]any); ok {
				Prune(em)
			}
			n++
		}
		return n == 0
	case []string:
		return len(t) == 0
	}
	return false
}

// AddToList adds values to the string list at path (related.ip,
// related.user ...), keeping it sorted and free of duplicates and empty
// strings, as the ECS list mapping writes it.
func AddToList(m map[string]any, path string, values ...string) {
	seen := map[string]bool{}
	var all []string
	cur, _ := Get(m, path)
	var existing []string
	switch t := cur.(type) {
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				existing = append(existing, s)
			}
		}
	case string:
		existing = []string{t}
	}
	for _, s := range append(existing, values...) {
		if s != "" && !seen[s] {
			seen[s] = true
			all = append(all, s)
		}
	}
	if len(all) == 0 {
		return
	}
	sort.Strings(all)
	out := make([]any, len(all))
	for i, s := range all {
		out[i] = s
	}
	Set(m, path, out)
}

// MoveUnder moves the top-level fields named <prefix><name> to <box>.<name>
// (postgresql_pid -> postgresql.pid): a source's raw fields gathered in
// its own namespace.
func MoveUnder(m map[string]any, prefix, box string) {
	for k, v := range m {
		if name, ok := strings.CutPrefix(k, prefix); ok && name != "" {
			Set(m, box+"."+name, v)
			delete(m, k)
		}
	}
}
