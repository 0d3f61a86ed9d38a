// Package guardduty registers the GuardDuty findings log type and its
// transform.
package guardduty

import (
	_ "embed"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
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

// ThreatPurpose:ResourceTypeAffected/ThreatFamilyName[.DetectionMechanism][!Artifact]
var findingType = regexp.MustCompile(`^([^:]+):([^/]+)/([^.!]+)(?:\.([^!]+))?(?:!(.+))?$`)

// Transform names the severity, splits the finding type, sets the
// direction and, for outbound findings, swaps source and destination so
// source is always who started the connection (reference sf_guardduty;
// severities above 8.9 are "critical" where the reference failed).
func Transform(d map[string]any, r *logtype.Result) error {
	if name := strings.TrimSpace(doc.GetString(d, "rule.name")); name != "" {
		doc.Set(d, "rule.name", strings.TrimSuffix(name, "."))
	}
	if sev, ok := number(d["severity"]); ok {
		doc.Set(d, "event.severity", int64(math.Round(sev)))
		label := "critical"
		switch {
		case sev <= 3.9:
			label = "low"
		case sev <= 6.9:
			label = "medium"
		case sev <= 8.9:
			label = "high"
		}
		d["severitylabel"] = label
	}
	purpose, family := "", ""
	if m := findingType.FindStringSubmatch(doc.GetString(d, "type")); m != nil {
		purpose, family = m[1], m[3]
		for i, k := range []string{"ThreatPurpose", "ResourceTypeAffected", "ThreatFamilyName", "DetectionMechanism", "Artifact"} {
			if m[i+1] != "" {
				d[k] = m[i+1]
			}
		}
	}
	direction := "INBOUND"
	switch {
	case doc.GetString(d, "service.action.actionType") == "NETWORK_CONNECTION":
		direction = doc.GetString(d, "service.action.networkConnectionAction.connectionDirection")
	case doc.GetString(d, "service.action.actionType") == "DNS_REQUEST":
		direction = "OUTBOUND"
	case family == "SuspiciousFile" || family == "MaliciousFile":
		direction = ""
	}
	if direction != "" {
		doc.Set(d, "network.direction", strings.ToLower(direction))
	}
	if direction == "OUTBOUND" {
		ecs.SwapSourceDestination(d)
	}
	switch purpose {
	case "Backdoor", "CryptoCurrency", "Trojan":
		doc.Set(d, "event.category", []any{"malware"})
	}
	if family == "SuspiciousFile" || family == "MaliciousFile" {
		doc.Set(d, "event.category", []any{"malware"})
	}
	return nil
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case string:
		f, err := strconv.ParseFloat(t, 64)
		return f, err == nil
	}
	return 0, false
}
