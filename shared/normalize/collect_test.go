package normalize

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/siemloader/siem/shared/ecs"
)

// collect gives the distinct non-empty values of its sources, sorted,
// whether a few (told apart by a scan) or many (past 16, by a set), and
// the same for a value repeated across sources and inside lists.
func TestCollectDistinctSorted(t *testing.T) {
	for _, n := range []int{0, 1, 3, 16, 17, 40} {
		var list []any
		want := []any{}
		for i := n - 1; i >= 0; i-- {
			ip := fmt.Sprintf("192.0.2.%d", i)
			list = append(list, ip, ip, "") // repeats and an empty value
			want = append(want, ip)
		}
		sort.Slice(want, func(i, j int) bool { return want[i].(string) < want[j].(string) })
		d := map[string]any{"a": list, "b": "192.0.2.0", "c": map[string]any{"ip": "192.0.2.1"}}
		got := collect(d, ecs.KindOf("related.ip"), []string{"a", "b", "c.ip", "missing"}, &addrs{})
		if n < 2 {
			// b and c.ip add what the list lacks.
			want = []any{"192.0.2.0", "192.0.2.1"}
		}
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d values: got %v, want %v", n, got, want)
		}
	}
}

// addrs gives what ecs.CoerceAs gives, for addresses met again within a
// record (remembered) and for more than it remembers, and forgets them
// at reset.
func TestAddrsCoerce(t *testing.T) {
	var a addrs
	in := []any{"192.0.2.1", "::FFFF:192.0.2.2", "abc", "192.0.2.1", "::FFFF:192.0.2.2", "abc",
		"2001:db8::1", "2001:DB8::1", "198.51.100.7", "198.51.100.7", 42, ""}
	for round := 0; round < 2; round++ {
		for _, v := range in {
			got, gok := a.coerce(ecs.IP, v)
			want, wok := ecs.CoerceAs(ecs.IP, v)
			if got != want || gok != wok {
				t.Fatalf("round %d, %v: got %v %v, want %v %v", round, v, got, gok, want, wok)
			}
		}
		if a.n != len(a.memo) {
			t.Fatalf("remembers %d addresses, want %d", a.n, len(a.memo))
		}
		a.reset()
		if a.n != 0 || a.memo[0].s != "" {
			t.Fatal("reset kept the last record's addresses")
		}
	}
	if got, ok := a.coerce(ecs.Long, "7"); !ok || got != int64(7) {
		t.Errorf("a long through addrs: %v %v", got, ok)
	}
}
