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
		got := collect(d, ecs.KindOf("related.ip"), []string{"a", "b", "c.ip", "missing"})
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
