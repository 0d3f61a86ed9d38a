// Package networkfirewall registers the AWS Network Firewall log type.
package networkfirewall

import (
	_ "embed"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.RegisterTransform("networkfirewall", Transform)
	logtype.RegisterYAML(definition)
}

// Transform sets the transport and marks alerts (reference
// sf_networkfirewall). Unlike the reference, event.category stays a list
// so the field has one type in every document.
func Transform(d map[string]any) error {
	if p := doc.GetString(d, "event.proto"); p != "" {
		doc.Set(d, "network.transport", strings.ToLower(p))
	}
	if proto := doc.GetString(d, "event.http.protocol"); strings.Contains(proto, "/") {
		_, v, _ := strings.Cut(proto, "/")
		doc.Set(d, "http.version", v)
	}
	if doc.GetString(d, "event.event_type") == "alert" {
		doc.Set(d, "event.kind", "alert")
		doc.Set(d, "event.category", []any{"intrusion_detection"})
		switch doc.GetString(d, "event.action") {
		case "blocked":
			doc.Set(d, "event.outcome", "failure")
		case "allowed":
			doc.Set(d, "event.outcome", "success")
		}
	}
	return nil
}
