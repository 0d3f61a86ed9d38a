// Package awsconfig registers the AWS Config log types: configuration
// history and snapshot files (configuration items) and rule compliance
// changes, with the shared transform of the reference (sf_config).
package awsconfig

import (
	"cmp"
	"crypto/md5"
	_ "embed"
	"encoding/hex"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

var (
	//go:embed history.yaml
	historyDefinition []byte
	//go:embed snapshot.yaml
	snapshotDefinition []byte
	//go:embed rules.yaml
	rulesDefinition []byte
)

func init() {
	for _, def := range [][]byte{historyDefinition, snapshotDefinition, rulesDefinition} {
		logtype.Register(logtype.Package{YAML: def, Transform: Transform})
	}
}

// Transform gives the item its id, makes its configuration type-stable
// (dicts of items as lists, fields AWS writes with two shapes renamed)
// and reads hosts, users and addresses from it.
func Transform(d map[string]any, r *logtype.Result) error {
	account, region := doc.GetString(d, "awsAccountId"), doc.GetString(d, "awsRegion")
	resourceType := cmp.Or(doc.GetString(d, "resourceType"), doc.GetString(d, "newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceType"))
	resourceID := cmp.Or(doc.GetString(d, "resourceId"), doc.GetString(d, "newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceId"))
	// One document per resource state: the id is the resource's, the
	// suffix the time of the state and which rule (if any) judged it.
	id := md5.Sum([]byte(account + region + resourceType + resourceID))
	r.ID = hex.EncodeToString(id[:])
	rule := md5.Sum([]byte(doc.GetString(d, "event.module") + doc.GetString(d, "configRuleARN")))
	stamp := doc.GetString(d, "@timestamp")
	if t, err := time.Parse(time.RFC3339Nano, stamp); err == nil {
		stamp = t.UTC().Format("20060102_150405")
	}
	r.IDSuffix = stamp + "_" + hex.EncodeToString(rule[:])[:4]

	if conf, ok := d["configuration"].(map[string]any); ok {
		typeStable(d, conf, resourceType)
	}
	hostsUsersIPs(d, resourceType, resourceID)

	if doc.GetString(d, "event.module") == "config-rules" {
		switch doc.GetString(d, "newEvaluationResult.complianceType") {
		case "COMPLIANT":
			doc.Set(d, "event.outcome", "success")
		case "NON_COMPLIANT":
			doc.Set(d, "event.outcome", "failure")
		default:
			doc.Set(d, "event.outcome", "unknown")
		}
	}
	return nil
}

// typeStable rewrites the configuration shapes that differ between
// resource types (or between items of one type) under the same names.
func typeStable(d, conf map[string]any, resourceType string) {
	// Dicts keyed by a name (one key per rule, per inventory entry)
	// become lists, so the names do not become fields.
	for _, p := range []string{"supplementaryConfiguration.BucketNotificationConfiguration.configurations", "supplementaryConfiguration.BucketReplicationConfiguration.rules"} {
		if m, ok := mustGet(d, p).(map[string]any); ok {
			doc.Set(d, p, dictToList(m, "name"))
		}
	}
	for _, k := range []string{"AWS:Application", "AWS:AWSComponent", "AWS:InstanceInformation", "AWS:Network", "AWS:WindowsUpdate", "AWS:ComplianceItem"} {
		entry, ok := conf[k].(map[string]any)
		if !ok {
			continue
		}
		content, ok := entry["Content"].(map[string]any)
		if !ok {
			continue
		}
		if k == "AWS:ComplianceItem" {
			for _, sub := range []string{"Association", "Patch"} {
				if m, ok := content[sub].(map[string]any); ok {
					content[sub] = dictToList(m, "id")
				}
			}
			continue
		}
		entry["Content"] = dictToList(content, "id")
	}
	// owner: {id} vs a string; state: {code, name} vs a string.
	if owner, ok := conf["owner"].(map[string]any); ok {
		if id, ok := owner["id"]; ok {
			conf["owner_id"] = id
			delete(owner, "id")
			if len(owner) == 0 {
				delete(conf, "owner")
			}
		}
	}
	if state, ok := conf["state"].(map[string]any); ok {
		if c, ok := state["code"]; ok {
			conf["state_code"] = c
		}
		if n, ok := state["name"]; ok {
			conf["state_name"] = n
		}
		delete(conf, "state")
	}
	if tags, ok := d["tags"].(map[string]any); ok {
		if v, ok := tags["AmazonFSx.FileSystemId"]; ok {
			tags["AmazonFSx_FileSystemId"] = v
			delete(tags, "AmazonFSx.FileSystemId")
		}
	}
	if s, ok := conf["stateReason"].(string); ok {
		conf["stateReason"] = map[string]any{"message": s, "code": conf["stateReasonCode"]}
		delete(conf, "stateReasonCode")
	}
	for key, field := range map[string]string{"securityGroups": "groupId", "availabilityZones": "zoneName", "subnets": "subnetIdentifier"} {
		if l, ok := conf[key].([]any); ok {
			for i, e := range l {
				if s, ok := e.(string); ok {
					l[i] = map[string]any{field: s}
				}
			}
		}
	}
	if s, ok := conf["endpoint"].(string); ok {
		conf["endpoint"] = map[string]any{"address": s}
	}
	if s, ok := conf["iamInstanceProfile"].(string); ok {
		conf["iamInstanceProfile"] = map[string]any{"arn": s}
	}
	if strings.HasPrefix(resourceType, "AWS::WAFv2::") {
		if rules, ok := conf["rules"].([]any); ok {
			for _, r := range rules {
				if m, ok := r.(map[string]any); ok {
					if st, ok := m["statement"]; ok {
						if b, err := doc.AppendJSON(nil, st); err == nil {
							m["statement"] = string(b)
						}
					}
				}
			}
		}
	}
	if resourceType == "AWS::EC2::VPCPeeringConnection" {
		if st, ok := conf["status"].(map[string]any); ok {
			conf["status"] = st["code"]
			conf["status_message"] = st["message"]
		}
	}
}

// dictToList turns {"k1": {...}, "k2": {...}} into [{key: "k1", ...}, ...]
// in key order.
func dictToList(m map[string]any, key string) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		item := map[string]any{}
		if v, ok := m[k].(map[string]any); ok {
			for kk, vv := range v {
				item[kk] = vv
			}
		} else {
			item["value"] = m[k]
		}
		if _, taken := item[key]; !taken {
			item[key] = k
		}
		out = append(out, item)
	}
	return out
}

// hostsUsersIPs reads the resource's instance, IAM principal and
// addresses into cloud.instance.id, user.* and related.*.
func hostsUsersIPs(d map[string]any, resourceType, resourceID string) {
	instance := ""
	switch resourceType {
	case "AWS::EC2::Instance", "AWS::SSM::ManagedInstanceInventory":
		instance = resourceID
	case "AWS::SSM::PatchCompliance", "AWS::SSM::AssociationCompliance":
		instance = lastSegment(resourceID)
	case "AWS::Config::ResourceCompliance":
		// resourceId "AWS::EC2::Instance/i-0123...": the judged resource.
		// (The reference wrote the instance to user.id.)
		if rest, ok := strings.CutPrefix(resourceID, "AWS::EC2::Instance/"); ok {
			instance = rest
		}
		if rest, ok := strings.CutPrefix(resourceID, "AWS::IAM::"); ok {
			_, name, _ := strings.Cut(rest, "/")
			doc.Set(d, "user.id", name)
		}
	case "AWS::IAM::User", "AWS::IAM::Role":
		doc.Set(d, "user.id", resourceID)
		if n := doc.GetString(d, "resourceName"); n != "" {
			doc.Set(d, "user.name", n)
		}
	}
	if instance != "" {
		doc.Set(d, "cloud.instance.id", instance)
		doc.Set(d, "related.hosts", []any{instance})
	}
	var users []any
	for _, k := range []string{"user.id", "user.name"} {
		if s := doc.GetString(d, k); s != "" {
			users = append(users, s)
		}
	}
	if len(users) > 0 {
		doc.Set(d, "related.user", users)
	}

	ips := map[string]bool{}
	add := func(v any) {
		if s, ok := v.(string); ok {
			if a, err := netip.ParseAddr(s); err == nil {
				ips[a.String()] = true
			}
		}
	}
	conf, _ := d["configuration"].(map[string]any)
	switch resourceType {
	case "AWS::EC2::EIP":
		add(d["resourceName"])
		add(mustGet(conf, "privateIpAddress"))
		add(mustGet(conf, "publicIp"))
	case "AWS::EC2::Instance":
		for _, nic := range list(mustGet(conf, "networkInterfaces")) {
			nicIPs(nic, add)
		}
		add(mustGet(conf, "privateIpAddress"))
		add(mustGet(conf, "publicIpAddress"))
	case "AWS::EC2::NetworkInterface":
		nicIPs(conf, add)
	case "AWS::EC2::NatGateway":
		for _, a := range list(mustGet(conf, "natGatewayAddresses")) {
			add(mustGet(a, "privateIp"))
			add(mustGet(a, "publicIp"))
		}
	case "AWS::SSM::ManagedInstanceInventory":
		for _, n := range list(mustGet(conf, "AWS:Network.Content")) {
			for _, k := range []string{"IPV4", "IPV6"} {
				for _, ip := range strings.Split(doc.GetString(asMap(n), k), ",") {
					add(strings.TrimSpace(ip))
				}
			}
		}
	}
	for ip := range ips {
		doc.AddToList(d, "related.ip", ip)
	}
}

// nicIPs reads a network interface's private and public addresses.
func nicIPs(nic any, add func(any)) {
	add(mustGet(nic, "privateIpAddress"))
	add(mustGet(nic, "association.publicIp"))
	for _, p := range list(mustGet(nic, "privateIpAddresses")) {
		add(mustGet(p, "privateIpAddress"))
		add(mustGet(p, "association.publicIp"))
	}
	for _, p := range list(mustGet(nic, "ipv6Addresses")) {
		add(mustGet(p, "ipv6Address"))
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func mustGet(v any, path string) any {
	m := asMap(v)
	if m == nil {
		return nil
	}
	r, _ := doc.Get(m, path)
	return r
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}
