// Package clientvpn registers AWS Client VPN connection logs. Client VPN
// writes them to CloudWatch Logs; a subscription delivers them to S3.
package clientvpn

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// Client VPN writes "NA" for every value that does not apply.
const notApplicable = "NA"

// Transform sets outcome, error, traffic totals and duration, and turns
// the connection times into ISO 8601 UTC (they are written "2006-01-02
// 15:04:05" without a zone) so they map as dates.
func Transform(d map[string]any, r *logtype.Result) error {
	switch doc.GetString(d, "connection-attempt-status") {
	case "successful":
		doc.Set(d, "event.outcome", "success")
	case "failed":
		doc.Set(d, "event.outcome", "failure")
	}
	if r := doc.GetString(d, "connection-attempt-failure-reason"); r != "" && r != notApplicable {
		doc.Set(d, "error.message", r)
	}
	// Certificate-only endpoints log username "NA": no user to name.
	for _, k := range []string{"user.id", "user.name"} {
		if doc.GetString(d, k) == notApplicable {
			doc.Delete(d, k)
		}
	}
	if users, ok := doc.Get(d, "related.user"); ok {
		if l, ok := users.([]any); ok {
			kept := l[:0]
			for _, u := range l {
				if u != notApplicable {
					kept = append(kept, u)
				}
			}
			doc.Set(d, "related.user", kept)
		}
	}
	for _, k := range []string{"client-ip", "connection-end-time", "connection-duration-seconds", "connection-reset-status"} {
		if doc.GetString(d, k) == notApplicable {
			delete(d, k)
		}
	}
	for _, k := range []string{"connection-start-time", "connection-end-time", "connection-last-update-time"} {
		if s := doc.GetString(d, k); s != "" {
			if s == notApplicable {
				delete(d, k)
			} else if len(s) == len("2006-01-02 15:04:05") && s[10] == ' ' {
				d[k] = s[:10] + "T" + s[11:] + "+00:00"
			}
		}
	}
	if n := number(d, "egress-bytes") + number(d, "ingress-bytes"); n > 0 {
		doc.Set(d, "network.bytes", n)
	}
	if n := number(d, "egress-packets") + number(d, "ingress-packets"); n > 0 {
		doc.Set(d, "network.packets", n)
	}
	if s := doc.GetString(d, "connection-duration-seconds"); s != "" {
		if sec, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && sec >= 0 {
			doc.Set(d, "event.duration", sec*1_000_000_000)
		}
	}
	return nil
}

// number reads a counter written as a string ("1024"); anything else is 0.
func number(d map[string]any, k string) int64 {
	v, _ := doc.Get(d, k)
	n, err := strconv.ParseInt(strings.TrimSpace(fmt.Sprint(v)), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
