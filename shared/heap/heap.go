// Package heap sets the Go collector's budget for the loader's processes.
//
// The loader allocates short-lived values per record over a small live
// heap (~20 MB for one worker: its encoded batch and the framed records in
// flight). A collection costs what is live, so the collector's share of
// the CPU depends on GOGC, not on the object's size; the heap peaks near
// (1 + GOGC/100) times what is live. At GOGC=200 the collector's share
// was within the noise of GOGC=400 (one core, siem load: CloudTrail 100 MB
// 2.10 against 2.21 CPU-s, VPC 1M 9.52 against 9.55, ALB 500k 8.12 against
// 7.82), at two thirds of the peak RSS (CloudTrail 86 against 131 MB,
// VPC 60 against 89, ALB 86 against 133). The memory limit still bounds
// the heap: near it the collector runs as often as it has to.
package heap

import (
	"os"
	"runtime/debug"
	"strconv"
)

// Percent is the GOGC the loader runs at unless GOGC is set.
const Percent = 200

// Budget applies Percent and a soft memory limit of limit bytes, leaving
// any GOGC or GOMEMLIMIT the operator set in the environment alone. It
// returns the limit in force.
func Budget(limit int64) int64 {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if os.Getenv("GOMEMLIMIT") == "" && limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return debug.SetMemoryLimit(-1)
}

// LambdaLimit is the memory limit for a function of the given size in MB
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE): three quarters of it, leaving room for
// the runtime, goroutine stacks and the buffers outside the Go heap.
func LambdaLimit(env func(string) string) int64 {
	mb, err := strconv.ParseInt(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 {
		return 0
	}
	return mb << 20 * 3 / 4
}
