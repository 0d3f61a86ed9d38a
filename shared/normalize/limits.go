package normalize

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/siemloader/siem/shared/doc"
)

// Limits a document must respect to index without refusal, whatever the
// record held: OpenSearch refuses keyword values over 32,766 bytes, objects
// nested deeper than index.mapping.depth.limit (20) and documents that add
// more fields than index.mapping.total_fields.limit allows.
const (
	MaxStringBytes = 32766
	MaxDepth       = 20
	MaxFields      = 1000
	// TruncatedMarker ends a cut string; @message keeps the full text.
	TruncatedMarker = "<<TRUNCATED>>"
)

// pruneAndLimit removes what carries no information (doc.Prune's rule:
// nil, "", "-", empty objects and lists), cuts what would make the
// document unindexable and says what it did (for error.message). One walk
// prunes, checks strings and depth and counts fields; the rare oversized
// document gets a second pass. It gives what doc.Prune followed by a
// separate limits walk gave (TestPruneAndLimitMatchesTwoPasses). path is
// scratch for the walk's key stack (the caller's, reused from document to
// document); the grown scratch comes back.
func pruneAndLimit(d map[string]any, path []string) (notes, scratch []string) {
	st := limitState{path: path[:0]}
	n := st.object(d, 1, true)
	scratch = st.path
	if len(st.deep) > 0 {
		sort.Strings(st.deep)
		notes = append(notes, fmt.Sprintf("nested deeper than %d levels, kept as JSON text: %s", MaxDepth, strings.Join(st.deep, ", ")))
	}
	if len(st.cut) > 0 {
		sort.Strings(st.cut)
		notes = append(notes, fmt.Sprintf("cut to %d bytes (full text in @message): %s", MaxStringBytes, strings.Join(st.cut, ", ")))
	}
	if n > MaxFields {
		notes = append(notes, capFields(d, countFields(d))...)
	}
	return notes, scratch
}

// limitState walks a document; path is the current key stack, joined
// only when something has to be reported.
type limitState struct {
	path      []string
	cut, deep []string
}

func (st *limitState) here(k string) string {
	return strings.Join(append(st.path, k), ".")
}

// object checks m's values and returns how many leaf fields it maps. With
// prune, empty values are removed first, as doc.Prune does (which reaches
// every object through objects and through objects directly in lists).
func (st *limitState) object(m map[string]any, depth int, prune bool) int {
	n := 0
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			if prune {
				delete(m, k)
				continue
			}
			n++
		case string:
			if prune && (t == "" || t == "-") {
				delete(m, k)
				continue
			}
			n++
			if len(t) > MaxStringBytes && !(depth == 1 && k == "@message") {
				st.cut = append(st.cut, st.here(k))
				m[k] = truncateUTF8(t, MaxStringBytes-len(TruncatedMarker)) + TruncatedMarker
			}
		case map[string]any:
			if depth >= MaxDepth {
				if prune && doc.Prune(t) {
					delete(m, k)
					continue
				}
				st.deep = append(st.deep, st.here(k))
				m[k] = jsonText(t)
				n++
				continue
			}
			st.path = append(st.path, k)
			c := st.object(t, depth+1, prune)
			st.path = st.path[:len(st.path)-1]
			if prune && len(t) == 0 {
				delete(m, k)
				continue
			}
			n += c
		case []any:
			if prune && len(t) == 0 {
				delete(m, k)
				continue
			}
			st.path = append(st.path, k)
			n += st.list(t, depth, prune)
			st.path = st.path[:len(st.path)-1]
		case []string:
			if prune && len(t) == 0 {
				delete(m, k)
				continue
			}
			n++
		default:
			n++
		}
	}
	return n
}

// list checks a list's elements (they share the list's path) and returns
// the field count of its widest element. Pruning reaches objects directly
// in the list, not those in a list inside it (doc.Prune's reach).
func (st *limitState) list(l []any, depth int, prune bool) int {
	most := 0
	for i, e := range l {
		c := 1
		switch t := e.(type) {
		case string:
			if len(t) > MaxStringBytes {
				st.cut = append(st.cut, strings.Join(st.path, "."))
				l[i] = truncateUTF8(t, MaxStringBytes-len(TruncatedMarker)) + TruncatedMarker
			}
		case map[string]any:
			if depth >= MaxDepth {
				if prune {
					doc.Prune(t)
				}
				st.deep = append(st.deep, strings.Join(st.path, "."))
				l[i] = jsonText(t)
			} else {
				c = st.object(t, depth+1, prune)
			}
		case []any:
			c = st.list(t, depth, false)
		}
		if c > most {
			most = c
		}
	}
	return most
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func jsonText(v any) string {
	b, err := doc.AppendJSON(nil, v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > MaxStringBytes {
		s = truncateUTF8(s, MaxStringBytes-len(TruncatedMarker)) + TruncatedMarker
	}
	return s
}

// countFields counts the leaf field paths a document maps.
func countFields(v any) int {
	switch t := v.(type) {
	case map[string]any:
		n := 0
		for _, e := range t {
			n += countFields(e)
		}
		return n
	case []any:
		// Objects in a list share their paths: count the widest.
		most := 0
		for _, e := range t {
			if c := countFields(e); c > most {
				most = c
			}
		}
		if most == 0 && len(t) > 0 {
			return 1
		}
		return most
	default:
		return 1
	}
}

// capFields turns the largest raw sub-objects (never the ECS roots or
// @ fields) into JSON text until the document maps at most MaxFields
// fields.
func capFields(d map[string]any, total int) []string {
	type sub struct {
		parent map[string]any
		key    string
		path   string
		n      int
	}
	var subs []sub
	var collect func(prefix string, m map[string]any)
	collect = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if prefix == "" && (strings.HasPrefix(k, "@") || ecsRoot[k]) {
				continue
			}
			switch t := v.(type) {
			case map[string]any, []any:
				subs = append(subs, sub{m, k, p, countFields(t)})
				if mm, ok := t.(map[string]any); ok {
					collect(p, mm)
				}
			}
		}
	}
	collect("", d)
	sort.Slice(subs, func(i, j int) bool {
		if subs[i].n != subs[j].n {
			return subs[i].n > subs[j].n
		}
		return subs[i].path < subs[j].path
	})
	var notes []string
	for _, s := range subs {
		if total <= MaxFields {
			break
		}
		v, ok := s.parent[s.key]
		if !ok || s.n <= 1 {
			continue
		}
		if _, isText := v.(string); isText {
			continue // an enclosing object was already turned to text
		}
		s.parent[s.key] = jsonText(v)
		total -= s.n - 1
		notes = append(notes, fmt.Sprintf("%s (%d fields) kept as JSON text: the document had more than %d fields", s.path, s.n, MaxFields))
	}
	return notes
}

// ecsRoot are top-level ECS field sets; their fields are typed by
// mapping, so they are never collapsed.
var ecsRoot = map[string]bool{
	"agent": true, "as": true, "client": true, "cloud": true, "container": true, "destination": true, "dns": true, "ecs": true,
	"error": true, "event": true, "file": true, "geo": true, "group": true, "host": true, "http": true, "log": true, "network": true,
	"observer": true, "organization": true, "package": true, "process": true, "related": true, "rule": true, "server": true,
	"service": true, "source": true, "threat": true, "tls": true, "url": true, "user": true, "user_agent": true, "vulnerability": true,
}
