package heap

import (
	"runtime/debug"
	"testing"
)

func TestLambdaLimit(t *testing.T) {
	cases := map[string]int64{"1024": 768 << 20, "128": 96 << 20, "": 0, "x": 0, "-5": 0}
	for in, want := range cases {
		got := LambdaLimit(func(string) string { return in })
		if got != want {
			t.Errorf("LambdaLimit(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestBudgetHonoursTheEnvironment(t *testing.T) {
	// Start from a GOGC that is neither Percent nor the environment's.
	prevPct := debug.SetGCPercent(Percent + 37)
	prevLim := debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(prevPct); debug.SetMemoryLimit(prevLim) }()

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if got := Budget(300 << 20); got != 300<<20 {
		t.Errorf("limit = %d, want %d", got, 300<<20)
	}
	if got := debug.SetGCPercent(Percent); got != Percent {
		t.Errorf("GOGC = %d, want %d", got, Percent)
	}

	debug.SetGCPercent(Percent + 37)
	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "1TiB")
	if got := Budget(300 << 20); got != 1<<40 {
		t.Errorf("limit = %d, want the environment's %d", got, int64(1<<40))
	}
	if got := debug.SetGCPercent(100); got != Percent+37 {
		t.Errorf("GOGC = %d, want it left at %d", got, Percent+37)
	}
}
