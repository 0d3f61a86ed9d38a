// Package coverage measures how many of the ECS fields Elastic's own
// pipelines set (elastic/integrations' test-*.log-expected.json) our
// documents set to the same value, per log type.
//
// Elastic's files are under the Elastic License 2.0 and are not copied
// into the project: the test reads them from the shared corpus
// (SIEM_CORPUS, default /work/shared/corpus) and skips, saying why, when
// it is absent.
package coverage_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/normalize"
	"github.com/siemloader/siem/shared/useragent"
)

// sample is one Elastic input with its expected documents: expected[i]
// is the document of the input's record i+1.
type sample struct {
	logType, input, key string
}

var samples = []sample{
	{"alb", "alb/elasticint_test-alb.log", "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2018/07/02/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_192.168.131.39_2z8w.log.gz"},
	{"vpcflowlogs", "vpcflow/elasticint_test-extra-samples.log", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2019/06/19/123456789012_vpcflowlogs_us-east-1_fl-1234_20190619T0000Z_hash.log.gz"},
	{"vpcflowlogs", "vpcflow/elasticint_test-v5-all-fields.log", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2021/03/23/123456789012_vpcflowlogs_us-east-1_fl-1234_20210323T0000Z_hash.log.gz"},
	{"networkfirewall", "networkfirewall/elasticint_test-firewall.log", "AWSLogs/123456789012/network-firewall/alert/us-east-1/2021/11/26/123456789012_network-firewall_alert_us-east-1_fw_202111260000_1a2b3c4d.log.gz"},
	{"cloudtrail", "cloudtrail/elasticint_test-console-login-json.log", "AWSLogs/123456789012/CloudTrail/us-east-1/2014/03/06/123456789012_CloudTrail_us-east-1_20140306T2100Z_abc.json.gz"},
}

// floors are the lowest share (percent) of Elastic's ECS fields each log
// type must set to the same value: the measured figure, rounded down.
var floors = map[string]float64{
	"alb":             92,
	"vpcflowlogs":     87,
	"networkfirewall": 96,
	"cloudtrail":      76,
}

// skipped are fields that are not ECS data to compare: Elastic's vendor
// namespace and harness fields, versions, and GeoIP (another database).
func skipped(path string) bool {
	for _, p := range []string{"aws.", "tags", "ecs.version", "event.original", "event.created", "event.ingested",
		"event.dataset", "event.module", "data_stream.", "input.", "log.", "message", "agent.", "_conf",
		"error.", "observer.hostname"} {
		if path == strings.TrimSuffix(p, ".") || strings.HasPrefix(path, p) {
			return true
		}
	}
	return strings.Contains(path, ".geo.") || strings.Contains(path, ".as.")
}

func corpus(t *testing.T) string {
	dir := os.Getenv("SIEM_CORPUS")
	if dir == "" {
		dir = "/work/shared/corpus"
	}
	if _, err := os.Stat(filepath.Join(dir, "PROVENANCE.md")); err != nil {
		fmt.Printf("coverage: skipped: no corpus at %s (set SIEM_CORPUS to the shared corpus folder)\n", dir)
		t.Skipf("no corpus at %s (set SIEM_CORPUS): Elastic's expected documents are not redistributable, so they are read in place", dir)
	}
	return dir
}

type tally struct{ total, same int }

func TestECSCoverageAgainstElastic(t *testing.T) {
	dir := corpus(t)
	ua := useragent.Default()
	byType := map[string]*tally{}
	var types []string
	for _, s := range samples {
		def := logtype.Builtin().Get(s.logType)
		expected := readExpected(t, filepath.Join(dir, s.input+"-expected.json"))
		f, err := os.Open(filepath.Join(dir, s.input))
		if err != nil {
			t.Fatal(err)
		}
		docs := map[int]map[string]any{}
		sink := &sink{def: def, ua: ua, docs: docs}
		fr, err := format.OpenObject(def, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := normalize.Records(def, fr, normalize.New(def, normalize.Source{Bucket: "b", Key: s.key}, time.Now()), sink); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if byType[s.logType] == nil {
			byType[s.logType] = &tally{}
			types = append(types, s.logType)
		}
		tl := byType[s.logType]
		var missing, differ []string
		for i, want := range expected {
			got := docs[i+1]
			for path, wv := range flatten(want, "") {
				if skipped(path) {
					continue
				}
				tl.total++
				gv, ok := flatten(got, "")[path]
				switch {
				case !ok:
					missing = append(missing, fmt.Sprintf("%d:%s=%v", i+1, path, wv))
				case !same(path, wv, gv):
					differ = append(differ, fmt.Sprintf("%d:%s=%v (ours %v)", i+1, path, wv, gv))
				default:
					tl.same++
				}
			}
		}
		sort.Strings(missing)
		sort.Strings(differ)
		t.Logf("%s %s: not set: %s", s.logType, filepath.Base(s.input), strings.Join(missing, ", "))
		t.Logf("%s %s: other value: %s", s.logType, filepath.Base(s.input), strings.Join(differ, ", "))
	}
	for _, lt := range types {
		tl := byType[lt]
		pct := 100 * float64(tl.same) / float64(tl.total)
		fmt.Printf("coverage: %-16s %3d/%3d Elastic ECS fields with the same value (%.1f%%)\n", lt, tl.same, tl.total, pct)
		if pct < floors[lt] {
			t.Errorf("%s: %.1f%% of Elastic's ECS fields, below the floor %.0f%%", lt, pct, floors[lt])
		}
	}
}

func readExpected(t *testing.T, path string) []map[string]any {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Expected []map[string]any `json:"expected"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Expected
}

// sink keeps each document by record number, enriched with the user
// agent as the enrich step does (GeoIP is not compared).
type sink struct {
	def  *logtype.Definition
	ua   *useragent.Parser
	docs map[int]map[string]any
}

func (s *sink) Enrich(o *normalize.Output) {
	if s.def.UserAgent != "" {
		s.ua.Enrich(o.Doc, s.def.UserAgent)
	}
}

func (s *sink) Document(rec format.Record, _ normalize.Output, source []byte) error {
	var m map[string]any
	if err := json.Unmarshal(source, &m); err != nil {
		return err
	}
	s.docs[rec.Num] = m
	return nil
}
func (s *sink) DeadLetter(int, []byte, string) error { return nil }
func (s *sink) Skip(int, string) error               { return nil }

// flatten maps dotted leaf paths to values; lists are leaves.
func flatten(v any, prefix string) map[string]any {
	out := map[string]any{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		m, ok := v.(map[string]any)
		if !ok {
			out[p] = v
			return
		}
		for k, e := range m {
			if p != "" {
				k = p + "." + k
			}
			walk(e, k)
		}
	}
	if v != nil {
		walk(v, prefix)
	}
	return out
}

// same compares loosely where the representation, not the value, may
// differ: numbers by value, times by instant, lists as sets, a scalar
// against a one-element list.
func same(path string, want, got any) bool {
	if wl, ok := want.([]any); ok {
		gl, ok := got.([]any)
		if !ok {
			return len(wl) == 1 && same(path, wl[0], got)
		}
		if len(wl) != len(gl) {
			return false
		}
		for _, w := range wl {
			found := false
			for _, g := range gl {
				if same(path, w, g) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	if gl, ok := got.([]any); ok && len(gl) == 1 {
		return same(path, want, gl[0])
	}
	wf, wok := number(want)
	gf, gok := number(got)
	if wok && gok {
		return math.Abs(wf-gf) < 1e-9*math.Max(1, math.Abs(wf))
	}
	ws, _ := want.(string)
	gs, _ := got.(string)
	if wt, err := time.Parse(time.RFC3339Nano, ws); err == nil {
		if gt, err := time.Parse(time.RFC3339Nano, gs); err == nil {
			// Elastic's date fields keep milliseconds: our microseconds
			// truncated to them are the same instant.
			return wt.Equal(gt) || (wt.Nanosecond()%1e6 == 0 && wt.Equal(gt.Truncate(time.Millisecond)))
		}
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}

func number(v any) (float64, bool) {
	f, ok := v.(float64) // a number written as a string is a difference
	return f, ok
}
