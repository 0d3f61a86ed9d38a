// Package inspector registers the Amazon Inspector findings log type.
package inspector

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// Transform names the rule after the finding, adds the remediation to the
// description, drops host fields for container image findings, and makes
// each update of a finding its own document (id suffix = update time), as
// the reference's sf_inspector did.
func Transform(d map[string]any, r *logtype.Result) error {
	cats, _ := doc.Get(d, "vulnerability.category")
	list, _ := cats.([]any)
	for _, c := range list {
		if c == "AWS_ECR_CONTAINER_IMAGE" {
			doc.Delete(d, "related.hosts")
			doc.Delete(d, "cloud.instance.id")
		}
	}
	switch doc.GetString(d, "type") {
	case "PACKAGE_VULNERABILITY":
		if id := doc.GetString(d, "vulnerability.id"); id != "" {
			doc.Set(d, "rule.id", "PACKAGE_VULNERABILITY_"+id)
		}
	case "NETWORK_REACHABILITY":
		p := doc.GetString(d, "networkReachabilityDetails.protocol")
		b, _ := doc.Get(d, "networkReachabilityDetails.openPortRange.begin")
		e, _ := doc.Get(d, "networkReachabilityDetails.openPortRange.end")
		doc.Set(d, "rule.id", fmt.Sprintf("NETWORK_REACHABILITY_%s_%v_%v", p, b, e))
	}
	if fix := doc.GetString(d, "remediation.recommendation.text"); fix != "" {
		doc.Set(d, "vulnerability.description", doc.GetString(d, "vulnerability.description")+"\n\nRemediation: "+fix)
	}
	if ts, err := time.Parse(time.RFC3339Nano, doc.GetString(d, "@timestamp")); err == nil {
		r.IDSuffix = fmt.Sprint(ts.Unix())
	}
	// ECR image resources report region "N/A": use the event's region.
	if r := doc.GetString(d, "cloud.region"); !strings.Contains(r, "-") {
		if cwe := doc.GetString(d, "cwe_region"); cwe != "" {
			doc.Set(d, "cloud.region", cwe)
		}
	}
	if s := doc.GetString(d, "vulnerability.severity"); s != "" {
		doc.Set(d, "vulnerability.severity", strings.ToLower(s))
	}
	return nil
}
