// Package trustedadvisor registers AWS Trusted Advisor check results.
package trustedadvisor

import (
	_ "embed"
	"net/netip"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// categories by the AWS service a flagged resource belongs to.
var categories = map[string]string{
	"rds": "database", "dynamodb": "database", "s3": "database", "ebs": "database", "redshift": "database", "elasticache": "database",
	"iam": "iam", "cloudtrail": "iam",
	"vpc": "network", "route53": "network", "elasticloadbalancing": "network", "network-acl": "network", "subnet": "network", "security-group": "network",
}

// Transform raises warnings and errors to alerts and reads the flagged
// resource's metadata (a list of values named by the check's metadata
// columns) for its service, instance and address.
func Transform(d map[string]any, r *logtype.Result) error {
	for _, p := range []string{"result.status", "result.flaggedResource.status"} {
		if s := doc.GetString(d, p); s == "warning" || s == "error" {
			doc.Set(d, "event.kind", "alert")
		}
	}
	columns := textList(d, "check.metadata")
	values := textList(d, "result.flaggedResource.metadata")
	if len(values) == 0 {
		return nil
	}
	named := map[string]any{}
	service, arn := "", ""
	var lastIP string
	for i, v := range values {
		if i < len(columns) && columns[i] != "" {
			named[format.SnakeCase(columns[i])] = v
			switch columns[i] {
			case "Instance ID":
				if strings.HasPrefix(v, "i-") {
					doc.Set(d, "cloud.instance.id", v)
					doc.Set(d, "related.hosts", []any{v})
				}
			case "Service":
				service = strings.ToLower(v)
			case "Resource", "Workload ARN":
				if strings.HasPrefix(v, "arn:") {
					arn = v
				}
			}
		}
		if a, err := netip.ParseAddr(strings.TrimSpace(v)); err == nil {
			lastIP = a.String()
		}
	}
	// The values by column name ("Security Group ID" ->
	// security_group_id), so a check's details are queryable.
	doc.Set(d, "result.flaggedResource.details", named)
	if arn != "" {
		if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
			service = parts[2]
			if rest, ok := strings.CutPrefix(parts[5], "instance/"); ok && service == "ec2" {
				doc.Set(d, "cloud.instance.id", rest)
				doc.Set(d, "related.hosts", []any{rest})
			}
		}
	}
	if service != "" {
		doc.Set(d, "cloud.service.name", service)
		if c, ok := categories[service]; ok {
			doc.Set(d, "event.category", []any{c})
		}
	}
	if lastIP != "" {
		doc.Set(d, "related.ip", []any{lastIP})
	}
	return nil
}

// textList reads the list of strings at path (nulls as "": positions
// matter, values line up with the check's columns).
func textList(d map[string]any, path string) []string {
	v, _ := doc.Get(d, path)
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, e := range l {
		out[i], _ = e.(string)
	}
	return out
}
