package alb

import (
	_ "embed"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform, Decoder: DecodeLine})
}

// Transform fills what the mapping cannot: the full URL from the request
// line and the TLS version split the way ECS wants it.
func Transform(d map[string]any, r *logtype.Result) error {
	// The whole URL between method and version: it may hold spaces
	// (SpaceInUri), which the reference's "second token" rule cut off.
	// The values are moved as the interfaces they are (no new box).
	if u := d["http_url"]; nonEmpty(u) {
		doc.Set(d, "url.full", u)
	}
	// The request's span: received (request_creation_time, ISO UTC as
	// AWS writes it) to response sent (the record's time, @timestamp).
	if start := d["request_creation_time"]; nonEmpty(start) && start != "-" {
		doc.Set(d, "event.start", start)
		if end, ok := d["@timestamp"]; ok {
			doc.Set(d, "event.end", end)
		}
	}
	proto := doc.GetString(d, "ssl_protocol")
	if proto == "" {
		proto = doc.GetString(d, "tls_protocol_version")
	}
	if proto == "" {
		proto = doc.GetString(d, "tls_protocol")
	}
	ecs.SetTLSVersion(d, proto)
	// Outcome from the status the load balancer returned.
	ecs.SetHTTPOutcome(d)
	// Connection logs: mutual TLS verification result.
	switch v := doc.GetString(d, "tls_verify_status"); {
	case v == "Success":
		doc.Set(d, "event.outcome", "success")
	case strings.HasPrefix(v, "Failed"):
		doc.Set(d, "event.outcome", "failure")
	}
	for _, f := range [...]string{"ssl_cipher", "tls_cipher"} {
		if c := d[f]; nonEmpty(c) {
			doc.Set(d, "tls.cipher", c)
			break
		}
	}
	return nil
}

// nonEmpty reports whether v is a non-empty string.
func nonEmpty(v any) bool {
	s, _ := v.(string)
	return s != ""
}
