package normalize

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/doc"
)

// twoPasses is what normalization did before pruning and the limits walk
// became one: doc.Prune, then a walk that cuts, collapses and counts.
func twoPasses(d map[string]any) []string {
	doc.Prune(d)
	var st oldLimits
	n := st.object(d, 1)
	var notes []string
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
	return notes
}

type oldLimits struct {
	path      []string
	cut, deep []string
}

func (st *oldLimits) here(k string) string { return strings.Join(append(st.path, k), ".") }

func (st *oldLimits) object(m map[string]any, depth int) int {
	n := 0
	for k, v := range m {
		switch t := v.(type) {
		case string:
			n++
			if len(t) > MaxStringBytes && !(depth == 1 && k == "@message") {
				st.cut = append(st.cut, st.here(k))
				m[k] = truncateUTF8(t, MaxStringBytes-len(TruncatedMarker)) + TruncatedMarker
			}
		case map[string]any:
			if depth >= MaxDepth {
				st.deep = append(st.deep, st.here(k))
				m[k] = jsonText(t)
				n++
				continue
			}
			st.path = append(st.path, k)
			n += st.object(t, depth+1)
			st.path = st.path[:len(st.path)-1]
		case []any:
			st.path = append(st.path, k)
			n += st.list(t, depth)
			st.path = st.path[:len(st.path)-1]
		default:
			n++
		}
	}
	return n
}

func (st *oldLimits) list(l []any, depth int) int {
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
				st.deep = append(st.deep, strings.Join(st.path, "."))
				l[i] = jsonText(t)
			} else {
				c = st.object(t, depth+1)
			}
		case []any:
			c = st.list(t, depth)
		}
		if c > most {
			most = c
		}
	}
	return most
}

// randomValue builds documents full of what pruning and limits care
// about: empties, "-", nil, long strings, lists in lists, objects nested
// past the depth limit (chains) and wide objects (of scalars).
func randomValue(r *rand.Rand, depth int) any {
	switch k := r.Intn(16); {
	case k == 0:
		return nil
	case k == 1:
		return ""
	case k == 2:
		return "-"
	case k == 3 && r.Intn(8) == 0:
		return strings.Repeat("ab", MaxStringBytes/2+r.Intn(10))
	case k <= 5:
		return fmt.Sprintf("v%d", r.Intn(100))
	case k == 6:
		return r.Intn(1000)
	case k == 7:
		return []string{}
	case k == 8 && r.Intn(10) == 0:
		m := map[string]any{}
		for i := 0; i < 300+r.Intn(900); i++ {
			m[fmt.Sprintf("w%d", i)] = randomScalar(r)
		}
		return m
	case k == 9 && depth < 30:
		// A chain: one object in the next, often past the depth limit.
		return map[string]any{"c": randomValue(r, depth+1)}
	case k <= 12 && depth < 8:
		m := map[string]any{}
		for i := 0; i < r.Intn(5); i++ {
			m[fmt.Sprintf("k%d", r.Intn(6))] = randomValue(r, depth+1)
		}
		return m
	case depth < 8:
		l := make([]any, r.Intn(4))
		for i := range l {
			l[i] = randomValue(r, depth+1)
		}
		return l
	}
	return true
}

func randomScalar(r *rand.Rand) any {
	switch r.Intn(4) {
	case 0:
		return ""
	case 1:
		return r.Intn(9)
	default:
		return "s"
	}
}

// One walk that prunes and limits gives exactly what the two passes gave.
func TestPruneAndLimitMatchesTwoPasses(t *testing.T) {
	deep, wide := 0, 0
	for i := 0; i < 3000; i++ {
		gen := func() map[string]any {
			r := rand.New(rand.NewSource(int64(i)))
			m := map[string]any{"@message": strings.Repeat("x", 40000)}
			for j := 0; j < 1+r.Intn(8); j++ {
				m[fmt.Sprintf("f%d", j)] = randomValue(r, 1)
			}
			if i%5 == 0 {
				// An object chain around the depth limit, its end often empty.
				var v any = randomValue(r, 1)
				for d := 16 + r.Intn(10); d > 0; d-- {
					if r.Intn(4) == 0 {
						v = []any{v, randomScalar(r)}
					}
					v = map[string]any{"c": v, "e": randomScalar(r)}
				}
				m["chain"] = v
			}
			if i%7 == 0 {
				w := map[string]any{}
				for j := 0; j < 900+r.Intn(400); j++ {
					w[fmt.Sprintf("w%d", j)] = randomScalar(r)
				}
				m["wide"] = map[string]any{"inner": w, "x": randomScalar(r)}
			}
			return m
		}
		a, b := gen(), gen()
		if !reflect.DeepEqual(a, b) {
			t.Fatal("generator is not deterministic")
		}
		wantNotes := twoPasses(a)
		gotNotes, _ := pruneAndLimit(b, nil)
		ja, _ := doc.AppendJSON(nil, a)
		jb, _ := doc.AppendJSON(nil, b)
		if string(ja) != string(jb) || !reflect.DeepEqual(wantNotes, gotNotes) {
			t.Fatalf("document %d:\n one walk %s %q\ntwo passes %s %q", i, jb, gotNotes, ja, wantNotes)
		}
		for _, n := range gotNotes {
			deep += strings.Count(n, "nested deeper")
			wide += strings.Count(n, "more than")
		}
	}
	if deep == 0 || wide == 0 {
		t.Errorf("the documents never reached the depth (%d) or field (%d) limits", deep, wide)
	}
}
