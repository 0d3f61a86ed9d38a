// Package s3accesslog registers the S3 server access log type.
package s3accesslog

import (
	_ "embed"
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

var endpointRegion = regexp.MustCompile(`(global|(us|ap|ca|eu|me|sa|af|il|mx)-[a-zA-Z]+-[0-9])`)

// Transform splits the request line, shortens the requester ARN to a
// name, reads the region from the endpoint when the key gave none, and
// sets the outcome (reference sf_s3accesslog, plus the request split its
// regex did).
func Transform(d map[string]any, r *logtype.Result) error {
	if req := doc.GetString(d, "RequestURI"); req != "" {
		method, rest, _ := strings.Cut(req, " ")
		uri, proto := rest, ""
		if i := strings.LastIndexByte(rest, ' '); i >= 0 {
			uri, proto = rest[:i], rest[i+1:]
		}
		// Each value is boxed once for both fields it goes to (a boxed
		// string is immutable): an allocation a field fewer.
		if method != "" && method != "-" {
			v := any(method)
			d["RequestURI_operation"] = v
			doc.Set(d, "http.request.method", v)
		}
		if uri != "" && uri != "-" {
			v := any(uri)
			d["RequestURI_key"] = v
			doc.Set(d, "url.original", v)
		}
		if strings.Contains(proto, "/") {
			d["RequestURI_httpProtoversion"] = proto
			_, v, _ := strings.Cut(proto, "/")
			doc.Set(d, "http.version", v)
		}
	}
	if name := doc.GetString(d, "user.name"); strings.Contains(name, "/") {
		doc.Set(d, "user.name", name[strings.LastIndexByte(name, '/')+1:])
	}
	if doc.GetString(d, "cloud.region") == "" {
		if m := endpointRegion.FindString(doc.GetString(d, "EndPoint")); m != "" {
			doc.Set(d, "cloud.region", m)
		}
	}
	ecs.SetTLSVersion(d, doc.GetString(d, "TLSVersion"))
	ecs.SetHTTPOutcome(d)
	return nil
}
