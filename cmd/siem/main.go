// Command siem runs the ingest pipeline on a laptop:
//
//	siem load [--type TYPE] [--out DIR] [--summary FILE] [--opensearch URL] PATH...
//	siem types
//
// Without --opensearch, documents go to DIR/<index>.ndjson and dead letters
// to DIR/dead-letter/. The exit code is non-zero only for operational
// failures, never for dead letters.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/exclude"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/geoip"
	"github.com/siemloader/siem/shared/heap"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/runner"
	"github.com/siemloader/siem/shared/useragent"
	"github.com/siemloader/siem/shared/xff"
)

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	// A loader run holds a few batches at a time; 384 MiB keeps it well
	// inside the 512 MB the benchmarks promise.
	heap.Budget(384 << 20)
	var err error
	switch os.Args[1] {
	case "load":
		err = load(os.Args[2:])
	case "backfill":
		err = runBackfill(os.Args[2:])
	case "ioc":
		err = buildIoC(os.Args[2:])
	case "replay":
		err = replayDeadLetters(os.Args[2:])
	case "dashboards":
		err = writeDashboards(os.Args[2:])
	case "cost":
		err = estimateCost(os.Args[2:])
	case "types":
		if len(os.Args) > 2 && os.Args[2] == "--markdown" {
			typesMarkdown(os.Stdout)
		} else {
			types(os.Stdout)
		}
	case "-h", "--help", "help":
		usage(os.Stdout)
	default:
		usage(os.Stderr)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "siem:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  siem load [--type TYPE] [--out DIR] [--summary FILE] [--opensearch URL] [--geoip-city FILE] [--geoip-asn FILE]
            [--config TYPES.yaml] [--exclude-patterns exclude_log_patterns.csv] PATH...
  siem backfill --state-machine ARN [--since T] [--until T] [--key-dates] [--logtype TYPE] [--name NAME] [--wait] s3://BUCKET/PREFIX
                            start the deployed backfill state machine over the objects under a prefix
  siem backfill [--since T] [--until T] [--key-dates] [--logtype TYPE] [load flags] PATH...
                            the same locally: siem load over the files modified in [since, until); re-runs never duplicate
  siem ioc --out ioc.json.gz [--tor FILE] [--feodo FILE] [--otx FILE]... [--stix FILE]... [--txt FILE]...
                            build a threat-intel database from feed files
  siem replay [--opensearch URL] [--out DIR] [--config TYPES.yaml] [--dry-run] DEAD-LETTER-DIR
                            re-send dead letters once their cause is fixed (idempotent)
  siem dashboards [--out FILE.ndjson]  write the OpenSearch Dashboards saved objects for a manual import
  siem cost [--objects N] [--records N] [--rate REC/S] [--batch N]
                            estimate the AWS charges of loading N objects, batched and one execution each
  siem types [--markdown]   list the log types and the S3 key pattern each expects
`)
}

func types(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tFORMAT\tINDEX\tS3 KEY PATTERN")
	for _, d := range logtype.Builtin().All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, d.Format, d.Index.Name, d.KeyPattern)
	}
	tw.Flush()
}

// typesMarkdown prints the README's log type table.
func typesMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| log type | what it reads | format | index | S3 key pattern (RE2, searched in the key) |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, d := range logtype.Builtin().All() {
		format := d.Format
		switch {
		case d.ViaCWL:
			format += ", via CloudWatch Logs"
		case d.ViaFireLens:
			format += ", via FireLens"
		}
		rot := d.Index.Rotation
		if rot == "" {
			rot = "monthly"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | `%s` (%s) | `%s` |\n", d.Name, cell(d.Description), format, d.Index.Name, rot, cell(d.KeyPattern))
	}
}

// parseInterspersed lets flags come before or after the paths.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func load(args []string) error { return loadWith("load", args, nil) }

// loadWith is `siem load`; a local backfill (bf) filters the inputs by
// modification time first and, with the file sink, keeps one line per
// document id afterwards.
func loadWith(name string, args []string, bf *localBackfill) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	typ := fs.String("type", "", "log type of every input (default: detected from each path as if it were an S3 key)")
	out := fs.String("out", "out", "directory for documents (without --opensearch) and dead letters")
	summaryFile := fs.String("summary", "", "write the summary as JSON to this file")
	osURL := fs.String("opensearch", "", "OpenSearch URL (https://user:pass@host:9200); documents go to files when empty")
	auth := fs.String("auth", "", "OpenSearch auth: basic (default with a URL), sigv4, none")
	city := fs.String("geoip-city", "", "GeoLite2-City .mmdb for GeoIP enrichment")
	asn := fs.String("geoip-asn", "", "GeoLite2-ASN .mmdb for GeoIP enrichment")
	proxies := fs.String("trusted-proxies", "", "file of trusted proxy networks (CIDRs): the client is the rightmost untrusted X-Forwarded-For address")
	iocFile := fs.String("ioc", "", "threat-intel database built by 'siem ioc' (threat.enrichments on matches)")
	noUA := fs.Bool("no-user-agent", false, "do not parse user agents into user_agent.name/version/os/device")
	chunk := fs.Int("chunk-records", 0, "records per chunk when a file is cut (default: the log type's)")
	workers := fs.Int("workers", runtime.NumCPU(), "chunks processed in parallel")
	quiet := fs.Bool("quiet", false, "no progress lines")
	rotation := fs.String("rotation", "", "index rotation for every log type: daily, weekly, monthly, yearly, auto")
	indexTZ := fs.String("index-tz", "", "time zone of the index date, e.g. +09:00 (default UTC)")
	config := fs.String("config", "", "custom log types YAML (see docs/custom-log-types.example.yaml); its exclusions section applies too")
	excludeCSV := fs.String("exclude-patterns", "", "exclude_log_patterns.csv: log_type,field,pattern[,pattern_type,action,name,comment] rows")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	lim := format.CurrentLimits() // the defaults, or what SIEM_MAX_* set
	maxRecord := fs.Int64("max-record-bytes", lim.MaxRecordBytes, "longest record read; a longer one is one dead letter with its first 4 KiB ("+format.EnvMaxRecordBytes+")")
	maxObject := fs.Int64("max-object-bytes", lim.MaxObjectBytes, "most decompressed bytes read from one object; the rest is one dead letter ("+format.EnvMaxObjectBytes+")")
	maxRatio := fs.Float64("max-ratio", lim.MaxRatio, "most decompressed bytes per compressed byte (past 16 MiB out); a gzip bomb ends there in one dead letter ("+format.EnvMaxRatio+")")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if len(paths) == 0 {
		return fmt.Errorf("%s: no PATH given", name)
	}
	if bf != nil {
		if paths, err = bf.inputs(paths); err != nil {
			return err
		}
		if *typ == "" {
			*typ = bf.logType
		}
	}
	if *maxRecord <= 0 || *maxObject <= 0 || *maxRatio < 1 {
		return fmt.Errorf("load: --max-record-bytes and --max-object-bytes must be > 0, --max-ratio >= 1")
	}
	lim.MaxRecordBytes, lim.MaxObjectBytes, lim.MaxRatio = *maxRecord, *maxObject, *maxRatio
	format.SetLimits(lim)

	reg, err := registry(*config)
	if err != nil {
		return err
	}
	reg, err = reg.WithIndexSettings(*rotation, *indexTZ)
	if err != nil {
		return err
	}
	if *typ != "" && reg.Get(*typ) == nil {
		return fmt.Errorf("unknown log type %q (see 'siem types')", *typ)
	}
	excl, err := exclusions(*config, *excludeCSV, reg)
	if err != nil {
		return err
	}
	sink, fileSink, err := indexer(*osURL, *auth, *out)
	if err != nil {
		return err
	}
	var enrichers []pipeline.Enricher
	var trusted *xff.Trusted
	if *proxies != "" {
		f, err := os.Open(*proxies)
		if err != nil {
			return err
		}
		trusted, err = xff.ParseTrusted(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *proxies, err)
		}
	}
	enrichers = append(enrichers, pipeline.XFFEnricher{Trusted: trusted})
	if *city != "" || *asn != "" {
		db, err := geoip.Open(*city, *asn)
		if err != nil {
			return err
		}
		defer db.Close()
		enrichers = append(enrichers, pipeline.GeoIPEnricher{DB: db})
	}
	if *iocFile != "" {
		f, err := os.Open(*iocFile)
		if err != nil {
			return err
		}
		db, err := ioc.Load(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *iocFile, err)
		}
		enrichers = append(enrichers, pipeline.IoCEnricher{DB: func() *ioc.DB { return db }})
	}
	if !*noUA {
		enrichers = append(enrichers, pipeline.UserAgentEnricher{Parser: useragent.Default()})
	}
	var progress io.Writer = os.Stderr
	if *quiet {
		progress = nil
	}
	sum, err := runner.Run(context.Background(), runner.Options{
		Paths: paths, LogType: *typ, OutDir: *out, Indexer: sink, Enrichers: enrichers, Registry: reg, Exclusions: excl,
		ChunkRecords: *chunk, Workers: *workers, Progress: progress,
	})
	if fileSink != nil {
		if cerr := fileSink.Close(); err == nil {
			err = cerr
		}
		if err == nil && bf != nil {
			err = bf.compact(*out)
		}
	}
	if err != nil {
		return err
	}
	sum.WriteTable(os.Stdout)
	if fileSink != nil {
		fmt.Printf("documents: %s/<index>.ndjson\n", *out)
	}
	if *summaryFile != "" {
		b, _ := json.MarshalIndent(sum, "", "  ")
		if err := os.WriteFile(*summaryFile, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if len(sum.FailedObjects) > 0 || sum.NotSent > 0 {
		return fmt.Errorf("load: %d objects failed, %d documents not sent (see the summary above)", len(sum.FailedObjects), sum.NotSent)
	}
	return nil
}

func openSearchConfig(raw, auth string) (bulk.Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return bulk.Config{}, fmt.Errorf("--opensearch %q is not a URL", raw)
	}
	cfg := bulk.Config{Auth: auth}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
		u.User = nil
	}
	if cfg.Username == "" {
		cfg.Username, cfg.Password = os.Getenv("OPENSEARCH_USERNAME"), os.Getenv("OPENSEARCH_PASSWORD")
	}
	if cfg.Auth == "" {
		cfg.Auth = "none"
		if cfg.Username != "" {
			cfg.Auth = "basic"
		}
	}
	if cfg.Auth == "sigv4" && strings.Contains(u.Host, ".aoss.") {
		cfg.Service = "aoss"
	}
	cfg.Endpoint = u.String()
	return cfg, nil
}

// registry is the built-in log types with a custom config file's over them.
func registry(config string) (*logtype.Registry, error) {
	reg := logtype.Builtin()
	if config == "" {
		return reg, nil
	}
	f, err := os.Open(config)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if reg, err = logtype.LoadConfig(reg, f); err != nil {
		return nil, fmt.Errorf("%s: %w", config, err)
	}
	return reg, nil
}

// exclusions are the rules of the config file's exclusions section and
// of an exclude_log_patterns.csv file (either may be empty).
func exclusions(config, csvPath string, reg *logtype.Registry) (*exclude.Set, error) {
	var src []byte
	if config != "" {
		b, err := os.ReadFile(config)
		if err != nil {
			return nil, err
		}
		src = b
	}
	var csvFile io.Reader
	if csvPath != "" {
		f, err := os.Open(csvPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		csvFile = f
	}
	set, err := exclude.Load(src, csvFile, filepath.Base(csvPath), func(t string) bool { return reg.Get(t) != nil })
	if err != nil {
		return nil, fmt.Errorf("exclusions: %w", err)
	}
	return set, nil
}

// indexer sends documents to OpenSearch, or to files under out (the
// *bulk.FileSink then, which the caller closes).
func indexer(osURL, auth, out string) (bulk.Indexer, *bulk.FileSink, error) {
	if osURL == "" {
		fs := bulk.NewFileSink(out)
		return fs, fs, nil
	}
	cfg, err := openSearchConfig(osURL, auth)
	if err != nil {
		return nil, nil, err
	}
	c, err := bulk.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, nil, nil
}
