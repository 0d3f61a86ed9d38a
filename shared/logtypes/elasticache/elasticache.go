// Package elasticache registers the ElastiCache for Redis SLOWLOG type.
package elasticache

import (
	_ "embed"
	"net/netip"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// Transform splits ClientAddress ("ip:port", "[v6]:port") into source.*
// and turns the duration from microseconds into ECS nanoseconds. It runs
// before field_prefix moves the raw fields under elasticache.
func Transform(d map[string]any, r *logtype.Result) error {
	if ap, err := netip.ParseAddrPort(doc.GetString(d, "ClientAddress")); err == nil {
		ip := ap.Addr().Unmap().String()
		doc.Set(d, "source.ip", ip)
		doc.Set(d, "source.address", ip)
		doc.Set(d, "source.port", int64(ap.Port()))
		doc.Set(d, "related.ip", []any{ip})
	}
	if us, ok := doc.Get(d, "event.duration"); ok {
		if n, ok := us.(int64); ok {
			doc.Set(d, "event.duration", n*1000)
		}
	}
	doc.Set(d, "event.module", "redis-slowlog")
	if c := doc.GetString(d, "Command"); c != "" {
		doc.Set(d, "event.action", strings.ToLower(strings.Fields(c)[0]))
	}
	return nil
}
