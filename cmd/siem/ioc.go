package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/ioc"
)

// files is a repeatable flag.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

// buildIoC builds the threat-intel database the deployed IoC state
// machine builds, from feed files on disk (for siem load --ioc).
func buildIoC(args []string) error {
	fs := flag.NewFlagSet("ioc", flag.ContinueOnError)
	out := fs.String("out", "ioc.json.gz", "database file to write")
	var tor, feodo, otx, stix, txt files
	fs.Var(&tor, "tor", "Tor exit list (check.torproject.org/exit-addresses or the bulk list)")
	fs.Var(&feodo, "feodo", "abuse.ch Feodo Tracker ipblocklist.json or .csv")
	fs.Var(&otx, "otx", "AlienVault OTX pulse JSON")
	fs.Var(&stix, "stix", "STIX 2.0/2.1 bundle")
	fs.Var(&txt, "txt", "plain list of addresses, networks, domains and URLs (provider: the file's folder name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b := ioc.NewBuilder()
	type parse func(f *os.File, path string) (ioc.Stats, error)
	run := func(paths []string, p parse) error {
		for _, path := range paths {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			st, err := p(f, path)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			fmt.Fprintf(os.Stderr, "%s: %d indicators, %d duplicates, %d lines/objects skipped\n", path, st.Added, st.Duplicates, st.Skipped)
		}
		return nil
	}
	modified := func(path string) string {
		if fi, err := os.Stat(path); err == nil {
			return fi.ModTime().UTC().Format(time.RFC3339)
		}
		return ""
	}
	for _, step := range []struct {
		paths []string
		p     parse
	}{
		{txt, func(f *os.File, path string) (ioc.Stats, error) {
			provider := filepath.Base(filepath.Dir(path))
			if provider == "." || provider == "/" {
				provider = "custom"
			}
			return b.ParseTXT(f, ioc.Indicator{Provider: provider, Name: filepath.Base(path), Modified: modified(path)})
		}},
		{stix, func(f *os.File, path string) (ioc.Stats, error) { return b.ParseSTIX(f, "custom", filepath.Base(path)) }},
		{tor, func(f *os.File, _ string) (ioc.Stats, error) { return b.ParseTor(f) }},
		{feodo, func(f *os.File, path string) (ioc.Stats, error) { return b.ParseFeodo(f, modified(path)) }},
		{otx, func(f *os.File, _ string) (ioc.Stats, error) { return b.ParseOTX(f) }},
	} {
		if err := run(step.paths, step.p); err != nil {
			return err
		}
	}
	db := b.Build(time.Now())
	var buf bytes.Buffer
	if err := ioc.Write(&buf, db); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: version %s, %d indicators %v\n", *out, db.Version, len(db.Indicators), db.Types)
	return nil
}
