// Package conformance compares our documents with a peer's normalization
// (Elastic's ECS pipelines) for the fields both define. It reads
// ../shared/corpus and skips, saying why, when that folder is absent.
package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

const corpus = "../../../shared/corpus"

// compared are the fields both normalizations define.
var compared = []string{
	"source.ip", "source.port", "destination.ip", "destination.port",
	"event.action", "event.outcome", "cloud.account.id", "cloud.region",
	"http.request.method", "http.response.status_code", "http.version",
	"url.domain", "url.path", "url.query", "user_agent.original",
	"network.transport", "network.bytes", "network.packets",
}

// deliberate lists differences we keep on purpose, by log type and field.
var deliberate = map[string]string{
	// Elastic derives the outcome of a sign-in from responseElements; we
	// follow the reference: failure only when errorCode/errorMessage exist.
	"cloudtrail/event.outcome": "outcome rule of the reference (errorCode/errorMessage)",
	// Elastic maps the flow action to event.action "accept"/"reject" (lower
	// case); we keep AWS's value, as the reference's dashboards expect.
	"vpcflowlogs/event.action": "AWS's ACCEPT/REJECT kept as written",
	// ECS allows only success/failure/unknown for event.outcome; Elastic's
	// VPC pipeline writes allow/deny there.
	"vpcflowlogs/event.outcome": "ECS event.outcome values (success/failure)",
	// Elastic's ALB pipeline names the action "forward" etc.; we do not map
	// event.action for ALB.
	"alb/event.action": "not mapped for ALB",
}

type pair struct {
	typ, input, expected, key string
}

var pairs = []pair{
	{"cloudtrail", "cloudtrail/elasticint_test-console-login-json.log", "cloudtrail/elasticint_test-console-login-json.log-expected.json", "AWSLogs/111122223333/CloudTrail/us-east-2/x.json"},
	{"vpcflowlogs", "vpcflow/elasticint_test-extra-samples.log", "vpcflow/elasticint_test-extra-samples.log-expected.json", "AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log"},
	{"networkfirewall", "networkfirewall/elasticint_test-firewall.log", "networkfirewall/elasticint_test-firewall.log-expected.json", "AWSLogs/123456789012/network-firewall/alert/us-east-1/fw/x_network-firewall_x.log"},
	{"alb", "alb/elasticint_test-alb.log", "alb/elasticint_test-alb.log-expected.json", "AWSLogs/123456789012/elasticloadbalancing/us-east-1/x_20240115T0000Z_192.0.2.1_abc.log.gz"},
}

func TestConformanceWithElastic(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("conformance tier skipped: %s is absent (%v); it exists on developer machines and in CI only", corpus, err)
	}
	for _, p := range pairs {
		t.Run(p.typ, func(t *testing.T) {
			in, err := os.Open(filepath.Join(corpus, p.input))
			if err != nil {
				t.Skipf("%v", err)
			}
			defer in.Close()
			def := logtype.Builtin().Get(p.typ)
			res, err := golden.Process(def, p.key, in)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(corpus, p.expected))
			if err != nil {
				t.Fatal(err)
			}
			var exp struct {
				Expected []map[string]any `json:"expected"`
			}
			if err := json.Unmarshal(raw, &exp); err != nil {
				t.Fatal(err)
			}
			byRecord := map[int]map[string]any{}
			for _, d := range res.Documents {
				byRecord[d.Record] = d.Source
			}
			var bugs, kept []string
			for i, e := range exp.Expected {
				ours, ok := byRecord[i+1]
				if !ok {
					bugs = append(bugs, fmt.Sprintf("record %d: no document (Elastic has one)", i+1))
					continue
				}
				for _, f := range compared {
					ev, eok := doc.Get(e, f)
					ov, ook := doc.Get(ours, f)
					if !eok {
						continue
					}
					if ook && equal(ev, ov) {
						continue
					}
					line := fmt.Sprintf("record %d %s: elastic %v, ours %v", i+1, f, ev, ov)
					if why, ok := deliberate[p.typ+"/"+f]; ok {
						kept = append(kept, line+" (deliberate: "+why+")")
					} else {
						bugs = append(bugs, line)
					}
				}
			}
			for _, k := range kept {
				t.Log(k)
			}
			if len(bugs) > 0 {
				t.Errorf("%d differences:\n%s", len(bugs), strings.Join(bugs, "\n"))
			}
		})
	}
}

func equal(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}
