package main

import (
	"strings"
	"testing"
)

// The table names the file system the documents went to, read from
// /proc/mounts: the longest mount point holding the directory wins.
func TestFSType(t *testing.T) {
	if got := fsType("/proc/self"); got != "proc" {
		t.Skipf("no proc file system at /proc here (%q): nothing to check against", got)
	}
	if got := fsType("/proc"); got != "proc" {
		t.Errorf("fsType(/proc) = %q, want proc", got)
	}
	// /procfoo is not under /proc: the root's type, whatever it is.
	if got, root := fsType("/procfoo/x"), fsType("/"); got != root || got == "proc" {
		t.Errorf("fsType(/procfoo/x) = %q, want the root's %q", got, root)
	}
	if s := sinkPlace("/proc/self"); !strings.HasSuffix(s, "(proc)") {
		t.Errorf("sinkPlace(/proc/self) = %q, want it to name proc", s)
	}
}
