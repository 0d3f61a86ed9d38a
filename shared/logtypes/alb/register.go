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
	if req := doc.GetString(d, "request"); req != "" {
		if parts := strings.Fields(req); len(parts) >= 2 && parts[1] != "-" {
			doc.Set(d, "url.full", parts[1])
		}
	}
	proto := doc.GetString(d, "ssl_protocol")
	if proto == "" {
		proto = doc.GetString(d, "tls_protocol_version")
	}
	if v, ok := strings.CutPrefix(proto, "TLSv"); ok {
		doc.Set(d, "tls.version_protocol", "tls")
		doc.Set(d, "tls.version", v)
	}
	if c := doc.GetString(d, "ssl_cipher"); c != "" {
		doc.Set(d, "tls.cipher", c)
	}
	return nil
}
