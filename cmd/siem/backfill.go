package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/siemloader/siem/shared/backfill"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/runner"
)

// runBackfill is `siem backfill`: with an s3:// URI it starts the deployed
// backfill state machine; with local paths it is `siem load` over the
// files modified in the window.
func runBackfill(args []string) error {
	// The backfill's own flags come out first; what is left is the
	// target (s3://...) or siem load's flags and paths.
	var since, until, logType, machine, name string
	wait, keyDates := false, false
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		var dst *string
		switch flagName {
		case "since":
			dst = &since
		case "until":
			dst = &until
		case "logtype", "log-type":
			dst = &logType
		case "state-machine":
			dst = &machine
		case "name":
			dst = &name
		case "wait":
			wait = true
			continue
		case "key-dates":
			keyDates = true
			continue
		default:
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return fmt.Errorf("backfill: flag --%s needs a value", flagName)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	var uris []string
	for _, a := range rest {
		if strings.HasPrefix(a, "s3://") {
			uris = append(uris, a)
		}
	}
	if len(uris) == 0 {
		if machine != "" || name != "" || wait {
			return fmt.Errorf("backfill: --state-machine, --name and --wait go with an s3://bucket/prefix")
		}
		bf, err := newLocalBackfill(since, until, logType, keyDates)
		if err != nil {
			return err
		}
		return loadWith("backfill", rest, bf)
	}
	if len(uris) != 1 || len(rest) != 1 {
		return fmt.Errorf("backfill: give one s3://bucket/prefix (local paths and load flags go without one), got %v", rest)
	}
	bucket, prefix, err := backfill.ParseURI(uris[0])
	if err != nil {
		return err
	}
	if machine == "" {
		machine = os.Getenv("SIEM_BACKFILL_STATE_MACHINE_ARN")
	}
	if machine == "" {
		return fmt.Errorf("backfill: --state-machine ARN (the stack's BackfillStateMachineArn output) or SIEM_BACKFILL_STATE_MACHINE_ARN is required")
	}
	req := backfill.Request{Bucket: bucket, Prefix: prefix, Since: since, Until: until, LogType: logType, KeyDates: keyDates}
	if name == "" {
		name = backfill.ExecutionName(req, time.Now())
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	client := sfn.NewFromConfig(cfg)
	arn, err := backfill.Start(ctx, client, machine, name, req)
	if err != nil {
		return err
	}
	fmt.Printf("started %s\n", arn)
	if !wait {
		return nil
	}
	st, _, err := backfill.Wait(ctx, client, arn, 10*time.Second)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(st.Totals, "", "  ")
	fmt.Printf("%s\n", b)
	return nil
}

// localBackfill is a backfill over local files.
type localBackfill struct {
	since, until time.Time
	logType      string
	keyDates     bool
}

func newLocalBackfill(since, until, logType string, keyDates bool) (*localBackfill, error) {
	r := backfill.Request{Bucket: "local", Since: since, Until: until, LogType: logType}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	bf := &localBackfill{logType: logType, keyDates: keyDates}
	if since != "" {
		bf.since, _ = backfill.ParseTime(since)
	}
	if until != "" {
		bf.until, _ = backfill.ParseTime(until)
	}
	return bf, nil
}

// inputs expands the paths and keeps the files modified in the window.
func (bf *localBackfill) inputs(paths []string) ([]string, error) {
	files, err := runner.Inputs(paths)
	if err != nil {
		return nil, err
	}
	var keep []string
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		at := st.ModTime()
		if bf.keyDates {
			if kt, ok := backfill.KeyTime(filepath.ToSlash(f)); ok {
				at = kt
			}
		}
		if backfill.InWindow(at, bf.since, bf.until) {
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("backfill: none of the %d files was modified in the window", len(files))
	}
	fmt.Fprintf(os.Stderr, "backfill: %d of %d files in the window\n", len(keep), len(files))
	return keep, nil
}

// compact leaves one line per document id in each <index>.ndjson of dir,
// as a cluster keeps one document per _id.
func (bf *localBackfill) compact(dir string) error {
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	dropped := 0
	for _, f := range files {
		_, d, err := bulk.CompactByID(f)
		if err != nil {
			return err
		}
		dropped += d
	}
	if dropped > 0 {
		fmt.Fprintf(os.Stderr, "backfill: %d documents were already in %s and were replaced, not duplicated\n", dropped, dir)
	}
	return nil
}
