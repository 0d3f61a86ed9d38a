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
