package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/replay"
	"github.com/siemloader/siem/shared/useragent"
)

// replayDeadLetters re-sends the dead letters of a local run (the
// dead-letter folder siem load writes) after the cause was fixed.
func replayDeadLetters(args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	out := fs.String("out", "out", "directory for documents (without --opensearch)")
	osURL := fs.String("opensearch", "", "OpenSearch URL (https://user:pass@host:9200); documents go to files when empty")
	auth := fs.String("auth", "", "OpenSearch auth: basic (default with a URL), sigv4, none")
	config := fs.String("config", "", "custom log types YAML (the fixed definitions)")
	dry := fs.Bool("dry-run", false, "report what would load; index nothing, change no file")
	dirs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) != 1 {
		return fmt.Errorf("replay: give one dead-letter folder (e.g. out/dead-letter)")
	}
	reg, err := registry(*config)
	if err != nil {
		return err
	}
	sink, fileSink, err := indexer(*osURL, *auth, *out)
	if err != nil {
		return err
	}
	dir := filepath.Clean(dirs[0])
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("replay: %s is not a folder", dir)
	}
	r := &replay.Replayer{
		Store: blob.Dir{Root: filepath.Dir(dir)}, Bucket: filepath.Base(dir),
		Registry: reg, Indexer: sink, DryRun: *dry,
		Enrichers: []pipeline.Enricher{pipeline.UserAgentEnricher{Parser: useragent.Default()}},
	}
	rep, err := r.Run(context.Background(), "")
	if fileSink != nil {
		if cerr := fileSink.Close(); err == nil {
			err = cerr
		}
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Println(string(b))
	return err
}
