package pipeline

import (
	"github.com/siemloader/siem/shared/geoip"
	"github.com/siemloader/siem/shared/logtype"
)

// GeoIPEnricher adds geo and AS fields to the objects a log type names.
type GeoIPEnricher struct{ DB *geoip.DB }

// Enrich implements Enricher.
func (g GeoIPEnricher) Enrich(doc map[string]any, def *logtype.Definition) {
	if g.DB != nil && len(def.GeoIP) > 0 {
		g.DB.Enrich(doc, def.GeoIP)
	}
}
