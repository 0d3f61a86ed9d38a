package pipeline

import (
	"github.com/siemloader/siem/shared/geoip"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/useragent"
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
