// Package heap sets the Go collector's budget for the loader's processes.
//
// The loader allocates short-lived values per record over a small live
// heap (~20 MB for one worker: its encoded batch and the framed records in
// flight, mostly pointer-free bytes the collector does not scan). The
// heap peaks near (1 + GOGC/100) times what is live, and the collector's
// share of the CPU is small at any GOGC from 100 to 400. GOGC=400 was
// chosen when workers kept staged documents alive; measured again (one
// core, siem load --workers 1, CPU-s, GOGC 400 / 200 / 100):
//   - CloudTrail 100 MB: 2.21 / 2.10-2.18 / 2.14-2.15 s; peak RSS 131 / 86 / 63 MB
//   - CloudTrail 1 GB:   22.6-24.9 s at 200 and 24.1-24.7 at 100; RSS 90 / 66 MB
//   - VPC 1M lines:      9.55 / 9.52-10.29 / 10.34 s; RSS 89 / 60 / 44 MB
//   - ALB 500k lines:    7.82 / 7.84-8.12 / 7.97-8.06 s; RSS 133 / 86 / 62 MB
//
// Four more alternating VPC runs put GOGC=100 at 10.24 CPU-s against
// 9.87 at 400 (the same binary): the collector costs a few per cent more
// at 100 on the types that allocate the most. The loader runs at GOGC=100
// all the same: there peak RSS is flat with object size (CloudTrail
// 10 MB 56 MB, 100 MB 63 MB, 1 GB 66 MB, against 60-90 MB at 200 and
// 107-303 MB at 400), and a Lambda function needs the least memory.
// GOGC in the environment overrides it. The memory limit still bounds the heap: near it
// the collector runs as often as it has to.
package heap

import (
	"os"
	"runtime/debug"
	"strconv"
)

// Percent is the GOGC the loader runs at unless GOGC is set.
const Percent = 100

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
