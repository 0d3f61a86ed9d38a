package alb

import (
	_ "embed"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.RegisterDecoder("alb", Decode)
	logtype.RegisterTransform("alb", Transform)
	logtype.RegisterYAML(definition)
}

// Transform fills what the mapping cannot: the full URL from the request
// line and the TLS version split the way ECS wants it.
func Transform(d map[string]any) error {
	// The whole URL between method and version: it may hold spaces
	// (SpaceInUri), which the reference's "second token" rule cut off.
	if u := doc.GetString(d, "http_url"); u != "" {
		doc.Set(d, "url.full", u)
	}
	proto := doc.GetString(d, "ssl_protocol")
	if proto == "" {
		proto = doc.GetString(d, "tls_protocol_version")
	}
	if proto == "" {
		proto = doc.GetString(d, "tls_protocol")
	}
	if v, ok := tlsVersion(proto); ok {
		doc.Set(d, "tls.version_protocol", "tls")
		doc.Set(d, "tls.version", v)
	}
	// Outcome from the status the load balancer returned (ECS allows only
	// success, failure, unknown).
	if v, ok := doc.Get(d, "http.response.status_code"); ok {
		if code, ok := v.(int64); ok {
			if code < 400 {
				doc.Set(d, "event.outcome", "success")
			} else {
				doc.Set(d, "event.outcome", "failure")
			}
		}
	}
	// Connection logs: mutual TLS verification result.
	switch v := doc.GetString(d, "tls_verify_status"); {
	case v == "Success":
		doc.Set(d, "event.outcome", "success")
	case strings.HasPrefix(v, "Failed"):
		doc.Set(d, "event.outcome", "failure")
	}
	for _, f := range []string{"ssl_cipher", "tls_cipher"} {
		if c := doc.GetString(d, f); c != "" {
			doc.Set(d, "tls.cipher", c)
			break
		}
	}
	return nil
}

// tlsVersion reads "TLSv1.2" (ALB) and "tlsv12" (NLB) as "1.2".
func tlsVersion(p string) (string, bool) {
	lower := strings.ToLower(p)
	v, ok := strings.CutPrefix(lower, "tlsv")
	if !ok || v == "" {
		return "", false
	}
	if !strings.Contains(v, ".") && len(v) == 2 {
		v = v[:1] + "." + v[1:]
	}
	return v, true
}
