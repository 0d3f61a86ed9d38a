// Package waf registers the AWS WAF log type (web ACL logs, v2 and
// Classic) and its transform.
package waf

import (
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// Transform turns the header list into http.request.header.* fields (and
// url.domain, user_agent.original, http.request.referrer), drops the
// Authorization header, and reads the web ACL ARN for the rule set,
// account and region (reference sf_waf).
func Transform(d map[string]any, r *logtype.Result) error {
	// WAF writes timestamp as epoch milliseconds; a copy written as ISO
	// text (re-exported logs) would conflict in the index: keep the
	// number, taken from the record's time.
	if _, ok := d["timestamp"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, doc.GetString(d, "@timestamp")); err == nil {
			d["timestamp"] = json.Number(strconv.FormatInt(t.UnixMilli(), 10))
		}
	}
	if headers, ok := doc.Get(d, "httpRequest.headers"); ok {
		list, _ := headers.([]any)
		// One pass: copy each header to http.request.header.*, and keep
		// it in the raw list unless it carries credentials.
		kept := list[:0:0]
		for _, h := range list {
			m, ok := h.(map[string]any)
			if !ok {
				kept = append(kept, h)
				continue
			}
			name, _ := m["name"].(string)
			value, _ := m["value"].(string)
			key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
			if key == "authorization" {
				continue // never index credentials
			}
			kept = append(kept, h)
			if key == "" || strings.ContainsAny(key, ". ") {
				continue
			}
			switch key {
			case "host":
				doc.Set(d, "url.domain", value)
			case "user_agent":
				doc.Set(d, "user_agent.original", value)
			case "referer":
				doc.Set(d, "http.request.referrer", value)
			}
			doc.Set(d, "http.request.header."+key, value)
		}
		doc.Set(d, "httpRequest.headers", kept)
	}
	if v := doc.GetString(d, "httpRequest.httpVersion"); v != "" {
		if _, ver, ok := strings.Cut(v, "/"); ok {
			doc.Set(d, "http.version", ver)
		}
	}
	acl := doc.GetString(d, "webaclId")
	if strings.HasPrefix(acl, "arn:") {
		parts := strings.Split(acl, ":")
		if len(parts) >= 6 {
			if segs := strings.Split(parts[5], "/"); len(segs) >= 3 {
				doc.Set(d, "rule.ruleset", segs[2])
			}
			region := parts[3]
			if strings.HasPrefix(parts[5], "global") {
				region = "global"
			}
			if region != "" {
				doc.Set(d, "cloud.region", region)
			}
			if parts[4] != "" {
				doc.Set(d, "cloud.account.id", parts[4])
			}
		}
	} else if acl != "" {
		doc.Set(d, "rule.ruleset", acl)
	}
	return nil
}
