package pipeline

import (
	"github.com/siemloader/siem/shared/geoip"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/useragent"
	"github.com/siemloader/siem/shared/xff"
)

// GeoIPEnricher adds geo and AS fields to the objects a log type names.
type GeoIPEnricher struct{ DB *geoip.DB }

// Enrich implements Enricher.
func (g GeoIPEnricher) Enrich(doc map[string]any, def *logtype.Definition) {
	if g.DB != nil && len(def.GeoIP) > 0 {
		g.DB.Enrich(doc, def.GeoIP)
	}
}

// UserAgentEnricher parses the user agent of log types that name a
// user_agent field.
type UserAgentEnricher struct{ Parser *useragent.Parser }

// Enrich implements Enricher.
func (u UserAgentEnricher) Enrich(doc map[string]any, def *logtype.Definition) {
	if u.Parser != nil && def.UserAgent != "" {
		u.Parser.Enrich(doc, def.UserAgent)
	}
}

// XFFEnricher picks the client behind trusted proxies for log types that
// name clientip_xff (client IP field, X-Forwarded-For field). It runs
// before GeoIP and threat intel so they look at the client.
type XFFEnricher struct{ Trusted *xff.Trusted }

// Enrich implements Enricher.
func (x XFFEnricher) Enrich(doc map[string]any, def *logtype.Definition) {
	if len(def.ClientIPXFF) == 2 {
		x.Trusted.Enrich(doc, def.ClientIPXFF[0], def.ClientIPXFF[1])
	}
}

// IoCEnricher matches documents against the threat-intel database.
type IoCEnricher struct {
	// DB returns the current database (nil: none built yet).
	DB func() *ioc.DB
}

// Enrich implements Enricher.
func (e IoCEnricher) Enrich(doc map[string]any, def *logtype.Definition) {
	if e.DB == nil {
		return
	}
	e.DB().Enrich(doc, def.IOCIP, def.IOCDomain)
}
