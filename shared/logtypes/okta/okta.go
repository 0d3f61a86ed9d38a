// Package okta registers Okta System Log events, a contributed log type
// of the reference.
package okta

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

// categories by eventType prefix, most specific first.
var categories = []struct {
	prefix string
	cat    []any
	typ    []any
}{
	{"user.session.start", []any{"authentication", "session"}, []any{"start"}},
	{"user.session.end", []any{"authentication", "session"}, []any{"end"}},
	{"user.session.impersonation", []any{"iam", "session"}, []any{"admin"}},
	{"user.session.", []any{"session"}, []any{"info"}},
	{"user.authentication.", []any{"authentication"}, []any{"start"}},
	{"policy.evaluate_sign_on", []any{"authentication"}, []any{"info"}},
	{"user.mfa.", []any{"authentication"}, []any{"info"}},
	{"system.mfa.", []any{"iam"}, []any{"change"}},
	{"user.account.privilege", []any{"iam"}, []any{"admin", "change"}},
	{"user.account.", []any{"iam"}, []any{"user", "change"}},
	{"user.lifecycle.create", []any{"iam"}, []any{"user", "creation"}},
	{"user.lifecycle.delete", []any{"iam"}, []any{"user", "deletion"}},
	{"user.lifecycle.", []any{"iam"}, []any{"user", "change"}},
	{"group.", []any{"iam"}, []any{"group", "change"}},
	{"application.user_membership", []any{"iam"}, []any{"change"}},
	{"security.threat", []any{"threat", "intrusion_detection"}, []any{"indicator"}},
	{"system.api_token.", []any{"iam"}, []any{"change"}},
	{"system.", []any{"configuration"}, []any{"info"}},
	{"application.", []any{"configuration"}, []any{"change"}},
	{"policy.", []any{"configuration"}, []any{"change"}},
}

// Transform sets the outcome from outcome.result, the category and type
// from the event type, and adds the users targeted by the event.
func Transform(d map[string]any, r *logtype.Result) error {
	// Okta is SaaS: the AWS default of the loader does not apply.
	doc.Delete(d, "cloud.provider")
	result := doc.GetString(d, "outcome.result")
	switch strings.ToUpper(result) {
	case "SUCCESS", "ALLOW":
		doc.Set(d, "event.outcome", "success")
	case "FAILURE", "DENY":
		doc.Set(d, "event.outcome", "failure")
	case "":
	default: // CHALLENGE, SKIPPED, UNKNOWN
		doc.Set(d, "event.outcome", "unknown")
	}
	action := doc.GetString(d, "event.action")
	for _, c := range categories {
		if strings.HasPrefix(action, c.prefix) {
			doc.Set(d, "event.category", c.cat)
			doc.Set(d, "event.type", c.typ)
			break
		}
	}
	if strings.HasPrefix(action, "security.threat") {
		doc.Set(d, "event.kind", "alert")
	}
	targets, _ := d["target"].([]any)
	users := map[string]bool{}
	if cur, ok := doc.Get(d, "related.user"); ok {
		if l, ok := cur.([]any); ok {
			for _, u := range l {
				if s, ok := u.(string); ok {
					users[s] = true
				}
			}
		}
	}
	for _, t := range targets {
		m, ok := t.(map[string]any)
		if !ok || m["type"] != "User" {
			continue
		}
		if id, ok := m["alternateId"].(string); ok && id != "" {
			users[id] = true
			if doc.GetString(d, "user.target.name") == "" {
				doc.Set(d, "user.target.name", id)
				if tid, ok := m["id"].(string); ok {
					doc.Set(d, "user.target.id", tid)
				}
			}
		}
	}
	for u := range users {
		doc.AddToList(d, "related.user", u)
	}
	return nil
}
