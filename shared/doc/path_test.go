package doc

import (
	"reflect"
	"testing"
)

// Setting through compiled paths gives the document Set gives, over
// existing objects, missing ones and non-objects in the way.
func TestPathSetMatchesSet(t *testing.T) {
	targets := []string{"event.kind", "event.category", "source.geo.ip", "source.port", "top", "a.b.c.d"}
	paths := Paths(targets, 2)
	start := func() map[string]any {
		return map[string]any{"event": map[string]any{"raw": "x"}, "source": "not an object", "top": 1}
	}
	want, got := start(), start()
	for i, tg := range targets {
		Set(want, tg, i)
		paths[i].Set(got, i)
		if paths[i].String() != tg {
			t.Errorf("String() = %s, want %s", paths[i].String(), tg)
		}
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("paths gave %v, Set gave %v", got, want)
	}
	if paths[2].room[0] != 2+2 || paths[2].room[1] != 1+2 {
		t.Errorf("room for source.geo.ip: %v", paths[2].room)
	}
}

// Objects taken back by Reuse come out empty for the next document: a
// member the first document had under an object is not in the second's,
// and the second gets the same maps (nothing new to allocate).
func TestObjectsReuse(t *testing.T) {
	paths := Paths([]string{"source.ip", "source.port", "event.kind", "a.b.c"}, 1)
	var o Objects
	first := map[string]any{}
	for i, p := range paths {
		p.SetWith(first, i, &o)
	}
	src := first["source"].(map[string]any)
	abc := first["a"].(map[string]any)["b"].(map[string]any)
	o.Reuse()
	if len(src) != 0 || len(abc) != 0 {
		t.Fatalf("objects not emptied by Reuse: source %v, a.b %v", src, abc)
	}
	second := map[string]any{"event": map[string]any{"raw": "kept"}}
	paths[0].SetWith(second, "192.0.2.1", &o)
	paths[3].SetWith(second, "c", &o)
	paths[2].SetWith(second, "alert", &o)
	want := map[string]any{
		"source": map[string]any{"ip": "192.0.2.1"},
		"a":      map[string]any{"b": map[string]any{"c": "c"}},
		"event":  map[string]any{"raw": "kept", "kind": "alert"},
	}
	if !reflect.DeepEqual(second, want) {
		t.Errorf("second document %v, want %v", second, want)
	}
	src["probe"] = true
	if _, ok := second["source"].(map[string]any)["probe"]; !ok {
		t.Errorf("second document did not get the first's source object back")
	}
	// The raw event object was never lent: Reuse leaves it alone.
	o.Reuse()
	if second["event"].(map[string]any)["raw"] != "kept" {
		t.Errorf("Reuse emptied an object it did not lend")
	}
	// Without Objects every Set makes its own.
	third := map[string]any{}
	paths[0].SetWith(third, "x", nil)
	if len(o.lent) != 0 {
		t.Errorf("SetWith(nil) lent %d objects", len(o.lent))
	}
}
