// Package route53resolver registers the Route 53 Resolver query log type.
package route53resolver

import (
	_ "embed"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// Transform removes the trailing dot of fully qualified names, sets the
// outcome from the response code and lower-cases the transport.
func Transform(d map[string]any, r *logtype.Result) error {
	for _, p := range []string{"dns.question.name", "dns.answers.data"} {
		if s := doc.GetString(d, p); strings.HasSuffix(s, ".") && len(s) > 1 {
			doc.Set(d, p, strings.TrimSuffix(s, "."))
		}
	}
	if t := doc.GetString(d, "network.transport"); t != "" {
		doc.Set(d, "network.transport", strings.ToLower(t))
	}
	switch doc.GetString(d, "dns.response_code") {
	case "":
	case "NOERROR":
		doc.Set(d, "event.outcome", "success")
	default:
		doc.Set(d, "event.outcome", "failure")
	}
	return nil
}
