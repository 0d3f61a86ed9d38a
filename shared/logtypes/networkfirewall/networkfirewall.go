// Package networkfirewall registers the AWS Network Firewall log type.
package networkfirewall

import (
	_ "embed"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/normalize"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// raw is where the record's own fields go: ECS event.* stays ECS.
const raw = "aws.networkfirewall"

// Transform (reference sf_networkfirewall, and the ECS fields Elastic's
// pipeline sets): transport, network.type, community_id, event.type,
// http.version, url.path, tls.*; alerts are kind alert with category
// [network, intrusion_detection] (the reference's intrusion_detection
// plus Elastic's network: an alert is both, and either filter finds it;
// a list keeps one type in every document). The raw fields move under
// aws.networkfirewall, the raw "event" object as aws.networkfirewall.event.
func Transform(d map[string]any, r *logtype.Result) error {
	ev, _ := d["__nfw_event"].(map[string]any)
	delete(d, "__nfw_event")
	box, _ := doc.Get(d, raw)
	m, _ := box.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	if ev != nil {
		m["event"] = ev
	}
	for _, k := range []string{"firewall_name", "availability_zone", "event_timestamp"} {
		if v, ok := d[k]; ok {
			m[k] = v
			delete(d, k)
		}
	}
	doc.Set(d, raw, m)
	if ev == nil {
		return nil
	}
	get := func(path string) string { return doc.GetString(ev, path) }

	transport := strings.ToLower(get("proto"))
	if transport != "" {
		doc.Set(d, "network.transport", transport)
	}
	src, dst := get("src_ip"), get("dest_ip")
	if a, err := netip.ParseAddr(src); err == nil {
		if a.Unmap().Is4() {
			doc.Set(d, "network.type", "ipv4")
		} else {
			doc.Set(d, "network.type", "ipv6")
		}
	}
	if id, ok := ecs.CommunityID(src, dst, port(ev["src_port"]), port(ev["dest_port"]), ecs.IANAProtocol(transport)); ok {
		doc.Set(d, "network.community_id", id)
	}
	if proto := get("http.protocol"); strings.Contains(proto, "/") {
		_, v, _ := strings.Cut(proto, "/")
		doc.Set(d, "http.version", v)
	}
	if u := get("http.url"); u != "" {
		path, _, _ := strings.Cut(u, "?")
		doc.Set(d, "url.path", path)
	}
	if v, ok := strings.CutPrefix(strings.ToLower(get("tls.version")), "tls "); ok && v != "" {
		doc.Set(d, "tls.version_protocol", "tls")
		doc.Set(d, "tls.version", v)
	}
	if fp := get("tls.fingerprint"); fp != "" {
		doc.Set(d, "tls.server.hash.sha1", strings.ToUpper(strings.ReplaceAll(fp, ":", "")))
	}
	if sn := get("tls.serial"); sn != "" {
		doc.Set(d, "tls.server.x509.serial_number", strings.ToUpper(strings.ReplaceAll(sn, ":", "")))
	}

	types := []any{"connection"}
	switch get("event_type") {
	case "alert":
		doc.Set(d, "event.kind", "alert")
		doc.Set(d, "event.category", []any{"network", "intrusion_detection"})
		switch get("alert.action") {
		case "blocked":
			doc.Set(d, "event.outcome", "failure")
			types = append(types, "denied")
		case "allowed":
			doc.Set(d, "event.outcome", "success")
			types = append(types, "allowed")
		}
	case "netflow", "flow":
		for target, src := range map[string]string{"event.start": "netflow.start", "event.end": "netflow.end"} {
			if t, err := normalize.ParseTime(get(src), []string{"iso8601"}, time.UTC); err == nil {
				doc.Set(d, target, normalize.TimeValue(t))
			}
		}
	case "tls":
		types = []any{"protocol"}
	}
	doc.Set(d, "event.type", types)
	return nil
}

func port(v any) int {
	switch t := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(t.String())
		if err == nil {
			return n
		}
	case float64:
		return int(t)
	case string:
		if n, err := strconv.Atoi(t); err == nil {
			return n
		}
	}
	return -1
}
