// Package opensearchaudit registers Amazon OpenSearch Service audit logs,
// which the domain publishes to CloudWatch Logs.
package opensearchaudit

import (
	_ "embed"
	"net"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// AuditMessageLimit is the size at which OpenSearch cuts an audit message
// short: such a record is incomplete and says so.
const AuditMessageLimit = 10000

// Transform sets the outcome from the audit category, adds authentication
// to the category of login events, takes the user agent from the REST
// headers (a list per header) and flags messages cut at the audit limit.
func Transform(d map[string]any, r *logtype.Result) error {
	category := doc.GetString(d, "audit_category")
	switch category {
	case "GRANTED_PRIVILEGES", "AUTHENTICATED":
		doc.Set(d, "event.outcome", "success")
	case "MISSING_PRIVILEGES", "FAILED_LOGIN":
		doc.Set(d, "event.outcome", "failure")
	default:
		doc.Set(d, "event.outcome", "unknown")
	}
	if category == "FAILED_LOGIN" || category == "AUTHENTICATED" {
		cats, _ := doc.Get(d, "event.category")
		l, _ := cats.([]any)
		doc.Set(d, "event.category", append(append([]any{}, l...), "authentication"))
	}
	if ua := first(d, "audit_rest_request_headers.User-Agent"); ua != "" {
		doc.Set(d, "user_agent.original", ua)
	}
	// The Host header may carry a port ("10.0.3.15:443"): related.hosts
	// names hosts, so drop it, and an address host is a related IP too.
	if host := first(d, "audit_rest_request_headers.Host"); host != "" {
		if h, _, err := net.SplitHostPort(host); err == nil {
			doc.Set(d, "related.hosts", []any{h})
			if ip := net.ParseIP(h); ip != nil {
				doc.AddToList(d, "related.ip", ip.String())
			}
		}
	}
	if doc.GetString(d, "rule.name") == "" {
		doc.Set(d, "rule.name", "ParsingError")
	}
	if msg, _ := d["@message"].(string); len(msg) == AuditMessageLimit {
		doc.Set(d, "error.message", "the audit message is 10,000 characters long: OpenSearch truncates audit messages at that size, so this record may be incomplete")
	}
	return nil
}

// first returns a header's value: OpenSearch writes each header as a list.
func first(d map[string]any, path string) string {
	v, _ := doc.Get(d, path)
	if l, ok := v.([]any); ok && len(l) > 0 {
		v = l[0]
	}
	s, _ := v.(string)
	return strings.TrimSpace(s)
}
