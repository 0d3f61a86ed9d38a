// Package nginx registers the NGINX access and error logs.
package nginx

import (
	_ "embed"
	"net"
	"regexp"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
	// web-access, the access logs' shared transform.
	_ "github.com/siemloader/siem/shared/logtypes/webaccess"
)

var (
	//go:embed access.yaml
	accessDefinition []byte
	//go:embed error.yaml
	errorDefinition []byte
)

func init() {
	logtype.Register(logtype.Package{YAML: accessDefinition}) // transform web-access, from package webaccess
	logtype.Register(logtype.Package{YAML: errorDefinition, Transform: ErrorTransform})
}

// context is NGINX's ", key: value" tail of an error message.
var context = regexp.MustCompile(`, (client|server|request|upstream|host|referrer): ("(?:[^"\\]|\\.)*"|[^,]*)`)

// ErrorTransform reads the message's context (client, server, request,
// host, upstream) into source.*, url.* and http.* fields.
func ErrorTransform(d map[string]any, r *logtype.Result) error {
	msg := doc.GetString(d, "message")
	for _, m := range context.FindAllStringSubmatch(msg, -1) {
		v := strings.Trim(m[2], `"`)
		switch m[1] {
		case "client":
			if ip := net.ParseIP(v); ip != nil {
				doc.Set(d, "source.ip", v)
				doc.Set(d, "related.ip", []any{v})
			}
			doc.Set(d, "source.address", v)
		case "server":
			doc.Set(d, "nginx.error.server", v)
		case "host":
			doc.Set(d, "url.domain", v)
		case "upstream":
			doc.Set(d, "nginx.error.upstream", v)
		case "referrer":
			doc.Set(d, "http.request.referrer", v)
		case "request":
			if method, rest, ok := strings.Cut(v, " "); ok {
				target, version, _ := strings.Cut(rest, " HTTP/")
				doc.Set(d, "http.request.method", method)
				doc.Set(d, "url.original", target)
				if version != "" {
					doc.Set(d, "http.version", version)
				}
			}
		}
	}
	if c := doc.GetString(d, "connection_id"); c != "" {
		doc.Set(d, "nginx.error.connection_id", c)
	}
	return nil
}
