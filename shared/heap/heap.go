// Package heap sets the Go collector's budget for the loader's processes.
//
// The loader allocates many short-lived maps per record; at the default
// GOGC=100 the collector runs so often that marking and write barriers take
// a sixth of the CPU. A higher GOGC with a memory limit trades idle memory
// for CPU and still bounds the heap: when the heap nears the limit the
// collector runs as often as it has to.
package heap

import (
	"os"
	"runtime/debug"
	"strconv"
)

// Percent is the GOGC the loader runs at unless GOGC is set.
const Percent = 400

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
