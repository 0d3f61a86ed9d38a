// Package apache registers the Apache HTTP Server access and error logs.
package apache

import (
	_ "embed"
	"net"
	"strconv"
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

// ErrorTransform splits "[client ip:port]" (IPv6 addresses have colons
// of their own) and keeps the module and source location under
// apache.error.
func ErrorTransform(d map[string]any, r *logtype.Result) error {
	if c := doc.GetString(d, "client_address"); c != "" {
		host, port := c, ""
		if h, p, err := net.SplitHostPort(c); err == nil {
			host, port = h, p
		} else if i := strings.LastIndexByte(c, ':'); i > 0 && net.ParseIP(c) == nil {
			host, port = c[:i], c[i+1:]
		}
		if net.ParseIP(host) != nil {
			doc.Set(d, "source.ip", host)
			doc.Set(d, "related.ip", []any{host})
		}
		doc.Set(d, "source.address", host)
		if p, err := strconv.Atoi(port); err == nil {
			doc.Set(d, "source.port", p)
		}
	}
	for k, target := range map[string]string{"module": "apache.error.module", "debug_message": "apache.error.debug_message"} {
		if v := doc.GetString(d, k); v != "" {
			doc.Set(d, target, v)
		}
	}
	return nil
}
