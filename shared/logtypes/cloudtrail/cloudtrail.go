// Package cloudtrail registers the CloudTrail log type: JSON log files with
// a Records list (management, data and Insights events).
package cloudtrail

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

var instanceID = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)

// Transform completes what the mapping cannot say (reference sf_cloudtrail):
// outcome, a readable user name, instance ids hidden in service-specific
// fields, and sub-objects whose JSON type varies between events, which would
// otherwise cause mapping conflicts in OpenSearch.
func Transform(d map[string]any, r *logtype.Result) error {
	if doc.Present(d["errorCode"]) || doc.Present(d["errorMessage"]) {
		doc.Set(d, "event.outcome", "failure")
	} else {
		doc.Set(d, "event.outcome", "success")
	}
	ecs.ShortenUserName(d)
	source := doc.GetString(d, "eventSource")
	instanceIDs(d, source)
	fixSharedTypes(d)
	fixServiceTypes(d, source)
	return nil
}

// instanceIDs finds the instance an event concerns in the fields the
// services that name one use (cloud.instance.id, related.hosts).
func instanceIDs(d map[string]any, source string) {
	event := doc.GetString(d, "eventName")
	switch {
	case strings.HasPrefix(source, "ssm.") && (event == "StartSession" || event == "GetConnectionStatus"):
		if t := doc.GetString(d, "requestParameters.target"); t != "" {
			doc.Set(d, "cloud.instance.id", t)
		}
	case strings.HasPrefix(source, "ssm.") && event == "PutComplianceItems":
		if r := doc.GetString(d, "requestParameters.resourceId"); instanceID.MatchString(r) {
			doc.Set(d, "cloud.instance.id", r)
		}
	case strings.HasPrefix(source, "sts.") && doc.GetString(d, "userAgent") == "ec2.amazonaws.com":
		if r := doc.GetString(d, "requestParameters.roleSessionName"); r != "" {
			doc.Set(d, "cloud.instance.id", r)
		}
	case strings.HasPrefix(source, "cloudhsm."):
		cloudHSMHosts(d)
	}
}

// cloudHSMHosts names the cluster and HSMs a CloudHSM event concerns:
// all of them are related hosts, and the HSM created or described is the
// instance.
func cloudHSMHosts(d map[string]any) {
	var hosts []any
	for _, p := range []string{"requestParameters.clusterId", "requestParameters.hsmId", "responseElements.hsmId", "responseElements.hsm.hsmId"} {
		if s := doc.GetString(d, p); s != "" {
			hosts = append(hosts, s)
		}
	}
	if len(hosts) > 0 {
		doc.Set(d, "related.hosts", hosts)
	}
	for _, p := range []string{"responseElements.hsmId", "responseElements.hsm.hsmId"} {
		if s := doc.GetString(d, p); s != "" {
			doc.Set(d, "cloud.instance.id", s)
			break
		}
	}
}

// fixSharedTypes makes the paths every service uses one JSON type: the
// same path is a string in some events and an object in others.
func fixSharedTypes(d map[string]any) {
	if s, ok := getString(d, "responseElements.credentials"); ok {
		if strings.Contains(s, "arn:aws:iam") || strings.Contains(s, "arn:aws-cn:iam") || strings.Contains(s, "arn:aws-us-gov:iam") {
			doc.Set(d, "responseElements.credentials", map[string]any{"iam": s})
		} else {
			doc.Set(d, "responseElements.credentials", map[string]any{"value": s})
		}
	}
	for _, p := range []string{"requestParameters.tags", "responseElements.policy"} {
		normalizeObject(d, p)
	}
	for _, p := range []string{"requestParameters.disableApiTermination", "requestParameters.disableApiStop"} {
		if m, ok := get(d, p).(map[string]any); ok {
			if v, ok := m["value"]; ok {
				doc.Set(d, p, v)
			}
		}
	}
	if s, ok := getString(d, "responseElements.status"); ok {
		doc.Set(d, "responseElements.status", map[string]any{"status": s})
	}
}

// fixServiceTypes does the same for paths of one service.
func fixServiceTypes(d map[string]any, source string) {
	svc, _, _ := strings.Cut(source, ".")
	switch svc {
	case "glue":
		wrapString(d, "requestParameters.configuration", "text")
	case "cognito-idp":
		wrapString(d, "responseElements.session", "value")
	case "ecs":
		wrapString(d, "requestParameters.command", "command")
	case "ssm", "sqlworkbench":
		wrapString(d, "requestParameters.parameters", "value")
	case "redshift-data":
		wrapString(d, "responseElements.database", "name")
	case "cloud9":
		wrapString(d, "requestParameters.settings", "value")
	case "dynamodb":
		normalizeObject(d, "requestParameters.items")
	case "inspector2":
		stringify(d, "requestParameters.accountIds")
	case "codeguru-security":
		stringify(d, "requestParameters.resourceId")
	case "s3":
		replicationFilters(d)
	case "athena":
		athenaIntervalUnits(d)
	}
}

// replicationFilters makes each S3 replication rule's Filter text: its
// shape changes from rule to rule, and one index mapping cannot hold them
// all (reference sf_cloudtrail).
func replicationFilters(d map[string]any) {
	rules, _ := get(d, "requestParameters.ReplicationConfiguration.Rule").([]any)
	for _, r := range rules {
		if m, ok := r.(map[string]any); ok {
			if f, ok := m["Filter"]; ok {
				m["Filter"] = fmt.Sprint(f)
			}
		}
	}
}

// athenaIntervalUnits renames Athena's projection.*.interval.unit table
// parameters: beside projection.*.interval (a value) the dotted name
// would need interval to be an object too.
func athenaIntervalUnits(d map[string]any) {
	renameIn(get(d, "responseElements.tableMetadataList"), "parameters", "projection.date.interval.unit", "projection.date.interval_unit")
	if m, ok := get(d, "responseElements.tableMetadata.parameters").(map[string]any); ok {
		rename(m, "projection.part_date.interval.unit", "projection.part_date.interval_unit")
	}
}

func get(d map[string]any, p string) any {
	v, _ := doc.Get(d, p)
	return v
}

func getString(d map[string]any, p string) (string, bool) {
	s, ok := get(d, p).(string)
	return s, ok
}

func wrapString(d map[string]any, p, key string) {
	if s, ok := getString(d, p); ok {
		doc.Set(d, p, map[string]any{key: s})
	}
}

func stringify(d map[string]any, p string) {
	if v, ok := doc.Get(d, p); ok && v != nil {
		if _, isString := v.(string); !isString {
			doc.Set(d, p, compactJSON(v))
		}
	}
}

// normalizeObject makes p an object whatever the event wrote: a string or a
// list of strings becomes {value: ...}, an empty list {}.
func normalizeObject(d map[string]any, p string) {
	v, ok := doc.Get(d, p)
	if !ok || v == nil {
		return
	}
	switch t := v.(type) {
	case map[string]any:
	case string:
		doc.Set(d, p, map[string]any{"value": t})
	case []any:
		if len(t) == 0 {
			doc.Set(d, p, map[string]any{})
			return
		}
		allObjects := true
		for _, e := range t {
			if _, ok := e.(map[string]any); !ok {
				allObjects = false
			}
		}
		if !allObjects {
			strs := make([]any, len(t))
			for i, e := range t {
				if s, ok := e.(string); ok {
					strs[i] = s
				} else {
					strs[i] = compactJSON(e)
				}
			}
			doc.Set(d, p, map[string]any{"value": strs})
		}
	default:
		doc.Set(d, p, map[string]any{"value": compactJSON(t)})
	}
}

func renameIn(list any, field, from, to string) {
	items, _ := list.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			if p, ok := m[field].(map[string]any); ok {
				rename(p, from, to)
			}
		}
	}
}

func rename(m map[string]any, from, to string) {
	if v, ok := m[from]; ok {
		delete(m, from)
		m[to] = v
	}
}
