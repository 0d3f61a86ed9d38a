// Package deepsecurity registers Trend Micro Deep Security events (CEF),
// a contributed log type of the reference.
package deepsecurity

import (
	_ "embed"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// module is a Deep Security protection module, known by the range of its
// event (signature) ids as Trend Micro documents them.
type module struct {
	from, to   int
	name       string
	categories []any
}

var modules = []module{
	{1000000, 1999999, "intrusion_prevention", []any{"intrusion_detection", "network"}},
	{2000000, 2999999, "integrity_monitoring", []any{"file"}},
	{3000000, 3999999, "log_inspection", []any{"host"}},
	{4000000, 4999999, "anti_malware", []any{"malware"}},
	{5000000, 5999999, "web_reputation", []any{"web"}},
	{6000000, 6999999, "application_control", []any{"process"}},
	{7000000, 7999999, "device_control", []any{"host"}},
	{100, 999999, "firewall", []any{"network"}}, // firewall rule and stateful events, agent side
}

// Transform sets the kind, category and module from the product and the
// event id, lower-cases the transport and names failed sign-ins.
func Transform(d map[string]any, r *logtype.Result) error {
	product := doc.GetString(d, "cef_device_product")
	id, _ := strconv.Atoi(doc.GetString(d, "cef_device_event_class_id"))
	if strings.Contains(product, "Manager") {
		// Manager events are system events (sign-ins, updates, alerts).
		doc.Set(d, "event.kind", "event")
		cat := "configuration"
		if name := doc.GetString(d, "cef_name"); strings.Contains(name, "Signed") || strings.Contains(name, "Sign In") || strings.Contains(name, "Locked Out") {
			cat = "authentication"
		}
		doc.Set(d, "event.category", []any{cat})
		doc.Set(d, "deepsecurity.module", "system")
	} else {
		doc.Set(d, "event.kind", "alert")
		for _, m := range modules {
			if id >= m.from && id <= m.to {
				doc.Set(d, "event.category", m.categories)
				doc.Set(d, "deepsecurity.module", m.name)
				break
			}
		}
	}
	if p := doc.GetString(d, "network.transport"); p != "" {
		doc.Set(d, "network.transport", strings.ToLower(p))
	} else if p := doc.GetString(d, "proto"); p != "" {
		doc.Set(d, "network.transport", strings.ToLower(p))
	}
	if sev, err := strconv.Atoi(doc.GetString(d, "cef_severity")); err == nil {
		doc.Set(d, "event.severity", sev)
	}
	return nil
}
