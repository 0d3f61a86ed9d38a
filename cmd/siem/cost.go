package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/siemloader/siem/shared/cost"
)

// estimateCost prints what a month of objects costs batched and with one
// execution per object (shared/cost).
func estimateCost(args []string) error {
	w, p := cost.DefaultWorkload, cost.ListPrices
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.Float64Var(&w.Objects, "objects", w.Objects, "objects in the period (default: 50 accounts x 17 regions of CloudTrail, a month)")
	fs.Float64Var(&w.RecordsPerObject, "records", w.RecordsPerObject, "records per object")
	fs.Float64Var(&w.RecordsPerSecond, "rate", w.RecordsPerSecond, "records per second per load invocation (bench/e2e, one core)")
	fs.Float64Var(&w.BatchObjects, "batch", w.BatchObjects, "objects per execution (BatchMaxObjects)")
	fs.Float64Var(&w.MemoryMB, "memory", w.MemoryMB, "load function memory, MB")
	transition := fs.Float64("transition-price", p.StateTransition*1000, "USD per 1,000 Standard state transitions")
	gbs := fs.Float64("gb-second-price", p.LambdaGBSecond, "USD per Lambda GB-second (arm64)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("cost: unexpected argument %q", fs.Arg(0))
	}
	if w.Objects <= 0 || w.RecordsPerSecond <= 0 || w.BatchObjects < 1 {
		return fmt.Errorf("cost: --objects and --rate must be positive, --batch at least 1")
	}
	p.StateTransition, p.LambdaGBSecond = *transition/1000, *gbs
	cost.Print(os.Stdout, w, cost.Batched(w, p), cost.Reference(w, p), cost.PerObject(w, p))
	return nil
}
