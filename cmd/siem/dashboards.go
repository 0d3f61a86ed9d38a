package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/siemloader/siem/shared/dashboards"
	"github.com/siemloader/siem/shared/logtype"
)

// writeDashboards writes the saved objects bundle for a manual import
// (Dashboards Management > Saved objects > Import, or the import API).
func writeDashboards(args []string) error {
	fs := flag.NewFlagSet("dashboards", flag.ContinueOnError)
	out := fs.String("out", "", "write the saved objects NDJSON to FILE (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dashboards: unexpected argument %q", fs.Arg(0))
	}
	b := dashboards.Bundle(logtype.Builtin())
	if *out == "" {
		_, err := os.Stdout.Write(b)
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d saved objects to %s\n", len(dashboards.Objects(logtype.Builtin())), *out)
	return nil
}
