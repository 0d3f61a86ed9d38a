// Package asff registers the securityhub log type: AWS Security Hub
// findings in the AWS Security Finding Format (ASFF), as EventBridge
// events delivered by Firehose, GetFindings exports or one per line.
package asff

import (
	"cmp"
	"crypto/md5"
	_ "embed"
	"encoding/hex"
	"net/netip"
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

// threatType reads a GuardDuty/Macie finding type as Security Hub writes
// it in Types[0]: "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"
// or "Software and Configuration Checks/...". Groups: namespace,
// category, purpose, resource type, family, detection, artifact.
var threatType = regexp.MustCompile(`^([^/]+)(?:/([^/]+))?/(?:([^:/]+):)?([^/.!-]+)[/.-]([^.!]+)(?:\.([^!]+))?(?:!(.+))?$`)

// Transform applies the per-product rules of the reference (sf_securityhub):
// module, timestamp of new findings, doc id suffix, GuardDuty direction,
// Inspector rule names, and users, hosts and addresses of the resources.
func Transform(d map[string]any, r *logtype.Result) error {
	product := strings.ToLower(cmp.Or(doc.GetString(d, "ProductFields.aws/securityhub/ProductName"), doc.GetString(d, "ProductName")))
	if product != "" {
		doc.Set(d, "event.module", product)
	}
	// The id suffix changes with the workflow status and time, so a
	// finding's updates are kept as separate documents.
	sum := md5.Sum([]byte(doc.GetString(d, "@timestamp") + doc.GetString(d, "Workflow.Status")))
	r.IDSuffix = hex.EncodeToString(sum[:])

	types := stringList(d["Types"])
	if len(types) > 0 {
		doc.Set(d, "rule.id", types[0])
	}
	switch product {
	case "security hub":
		if g := doc.GetString(d, "GeneratorId"); g != "" {
			doc.Set(d, "rule.id", g)
			d["consolidated_control_findings"] = strings.HasPrefix(g, "security-control")
		}
		_, has := doc.Get(d, "Compliance.SecurityControlId")
		d["consolidated_controls_view"] = has
		doc.Set(d, "event.category", []any{"configuration"})
	case "guardduty", "macie":
		if len(types) > 0 {
			parseThreatType(d, types[0])
		}
		if product == "guardduty" {
			guardDutyDirection(d)
		}
	case "inspector":
		if id := doc.GetString(d, "ProductFields.aws/inspector/id"); id != "" {
			doc.Set(d, "rule.name", id) // Inspector classic
		} else if len(types) > 0 {
			name, _, _ := strings.Cut(types[0], "/CVE")
			if strings.Contains(name, "Vulnerabilities") {
				if w := strings.Fields(doc.GetString(d, "Title")); len(w) > 0 {
					name += "/" + w[0]
				}
				doc.Set(d, "event.category", []any{"package"})
			}
			doc.Set(d, "rule.name", name)
		}
	}
	if name := strings.TrimSpace(doc.GetString(d, "rule.name")); name != "" {
		doc.Set(d, "rule.name", strings.TrimSuffix(name, "."))
	}
	resources(d)
	return nil
}

// parseThreatType splits a GuardDuty or Macie type into its parts.
func parseThreatType(d map[string]any, t string) {
	// Security Hub prefixes the GuardDuty type with its namespaces:
	// "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce".
	m := threatType.FindStringSubmatch(t)
	if m == nil {
		return
	}
	purpose := m[3]
	if purpose == "" {
		purpose = strings.ReplaceAll(m[2], " ", "")
	}
	for k, v := range map[string]string{"ThreatPurpose": purpose, "ResourceTypeAffected": m[4], "ThreatFamilyName": m[5], "DetectionMechanism": m[6], "Artifact": m[7]} {
		if v != "" {
			d[k] = v
		}
	}
	switch purpose {
	case "Backdoor", "CryptoCurrency", "Trojan":
		doc.Set(d, "event.category", []any{"malware"})
	}
	if f := m[5]; f == "SuspiciousFile" || f == "MaliciousFile" {
		doc.Set(d, "event.category", []any{"malware"})
	}
}

// guardDutyDirection sets network.direction and swaps source and
// destination for outbound connections (the remote end is the
// destination then), as the GuardDuty type does.
func guardDutyDirection(d map[string]any) {
	pf := "ProductFields.aws/guardduty/service/action/"
	direction := "INBOUND"
	switch doc.GetString(d, pf+"actionType") {
	case "NETWORK_CONNECTION":
		direction = cmp.Or(doc.GetString(d, pf+"networkConnectionAction/connectionDirection"), direction)
	case "DNS_REQUEST":
		direction = "OUTBOUND"
	}
	doc.Set(d, "network.direction", strings.ToLower(direction))
	if direction == "OUTBOUND" {
		ecs.SwapSourceDestination(d)
	}
}

// resources reads the finding's resources: instances, access keys, roles
// and volumes give hosts, users and addresses.
func resources(d map[string]any) {
	list, _ := d["Resources"].([]any)
	var instance, userID, userName string
	ips := map[string]bool{}
	for _, r := range list {
		res, ok := r.(map[string]any)
		if !ok {
			continue
		}
		id, _ := res["Id"].(string)
		switch res["Type"] {
		case "AwsEc2Instance":
			instance = lastSegment(id)
			for _, k := range []string{"Details.AwsEc2Instance.IpV4Addresses", "Details.AwsEc2Instance.IpV6Addresses"} {
				for _, ip := range stringList(mustGet(res, k)) {
					if a, err := netip.ParseAddr(ip); err == nil {
						ips[a.String()] = true
					}
				}
			}
		case "AwsIamAccessKey":
			_, after, _ := strings.Cut(id, ":")
			if i := strings.LastIndex(id, ":"); i >= 0 {
				after = id[i+1:]
			}
			userID = after
			if userID == "" || userID == "null" {
				principal := doc.GetString(res, "Details.AwsIamAccessKey.PrincipalId")
				userID, _, _ = strings.Cut(principal, ":")
			}
			userName = cmp.Or(doc.GetString(res, "Details.AwsIamAccessKey.PrincipalName"), doc.GetString(res, "Details.AwsIamAccessKey.UserName"))
		case "AwsEc2Volume":
			if atts, ok := mustGet(res, "Details.AwsEc2Volume.Attachments").([]any); ok && len(atts) > 0 {
				if a, ok := atts[0].(map[string]any); ok {
					if i, ok := a["InstanceId"].(string); ok {
						instance = i
					}
				}
			}
		case "AwsIamRole":
			userName = lastSegment(id)
		}
	}
	if instance != "" {
		doc.Set(d, "cloud.instance.id", instance)
		doc.Set(d, "related.hosts", []any{instance})
	}
	if userID != "" {
		doc.Set(d, "user.id", userID)
	}
	if userName != "" {
		doc.Set(d, "user.name", userName)
	}
	var users []any
	for _, u := range []string{userID, userName} {
		if u != "" && (len(users) == 0 || users[0] != u) {
			users = append(users, u)
		}
	}
	if len(users) > 0 {
		doc.Set(d, "related.user", users)
	}
	for ip := range ips {
		doc.AddToList(d, "related.ip", ip)
	}
}

func mustGet(m map[string]any, path string) any {
	v, _ := doc.Get(m, path)
	return v
}

func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func stringList(v any) []string {
	switch t := v.(type) {
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{t}
	}
	return nil
}
