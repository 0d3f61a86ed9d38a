package ecs

import "testing"

// boxLong's values are any(n)'s: equal, the same type, and without an
// allocation in smallLongs' range.
func TestBoxLong(t *testing.T) {
	for _, n := range []int64{-1 << 62, -65536, -1, 0, 1, 255, 256, 443, 8080, 65534, 65535, 65536, 1 << 40} {
		got := boxLong(n)
		if v, ok := got.(int64); !ok || v != n || got != any(n) {
			t.Errorf("boxLong(%d) = %#v", n, got)
		}
	}
	for n := int64(0); n < int64(len(smallLongs)); n++ {
		if boxLong(n).(int64) != n {
			t.Fatalf("boxLong(%d) = %v", n, boxLong(n))
		}
	}
	var sink any
	if a := testing.AllocsPerRun(100, func() { sink = boxLong(51234) }); a != 0 {
		t.Errorf("boxLong(51234) allocates %.0f times", a)
	}
	_ = sink
}
