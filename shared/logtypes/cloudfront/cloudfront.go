// Package cloudfront registers the CloudFront standard and real-time log
// types.
package cloudfront

import (
	_ "embed"
	"net/url"
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

var distribution = regexp.MustCompile(`/?([0-9A-Z]{12,14})\.`)

// Transform builds url.full, the HTTP and TLS versions, decodes the
// URL-encoded user agent and X-Forwarded-For chain, and names the
// distribution from the object key (reference sf_cloudfront_standard).
func Transform(d map[string]any, r *logtype.Result) error {
	httpFields(d, doc.GetString(d, "x_host_header"), doc.GetString(d, "cs_uri_stem"), doc.GetString(d, "cs_uri_query"))
	dist := "unknown"
	if m := distribution.FindStringSubmatch(doc.GetString(d, "@log_s3key")); m != nil {
		dist = m[1]
	}
	d["distribution_id"] = dist
	return nil
}

// httpFields is what both CloudFront log types derive from a request:
// url.full, the HTTP and TLS versions, the URL-encoded user agent and
// X-Forwarded-For chain decoded, and the outcome.
func httpFields(d map[string]any, host, path, query string) {
	if scheme := doc.GetString(d, "cs_protocol"); scheme != "" && host != "" {
		full := scheme + "://" + host + path
		if query != "" && query != "-" {
			full += "?" + query
		}
		doc.Set(d, "url.full", full)
	}
	if v := doc.GetString(d, "cs_protocol_version"); strings.Contains(v, "/") {
		_, ver, _ := strings.Cut(v, "/")
		doc.Set(d, "http.version", ver)
	}
	if ua := doc.GetString(d, "user_agent.original"); strings.Contains(ua, "%") {
		if u, err := url.PathUnescape(ua); err == nil {
			doc.Set(d, "user_agent.original", u)
		}
	}
	if xff := doc.GetString(d, "x_forwarded_for"); xff != "" && xff != "-" {
		if u, err := url.PathUnescape(xff); err == nil {
			xff = u
		}
		var chain []any
		for _, ip := range strings.Split(xff, ",") {
			if ip = strings.TrimSpace(ip); ip != "" && ip != "-" {
				chain = append(chain, ip)
			}
		}
		if len(chain) > 0 {
			doc.Set(d, "http.request.header.x_forwarded_for", chain)
		}
	}
	ecs.SetTLSVersion(d, doc.GetString(d, "ssl_protocol"))
	ecs.SetHTTPOutcome(d)
}
