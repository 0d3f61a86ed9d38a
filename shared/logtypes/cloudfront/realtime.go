package cloudfront

import (
	_ "embed"
	"regexp"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed realtime.yaml
var realtimeDefinition []byte

func init() {
	logtype.Register(logtype.Package{YAML: realtimeDefinition, Transform: RealtimeTransform})
}

// distributionID finds a distribution id in a key: 12 to 14 capitals and
// digits, at least one of them a letter (the reference's look-ahead,
// checked in code for RE2).
var distributionID = regexp.MustCompile(`(^|[^0-9A-Z])([0-9A-Z]{12,14})([^0-9A-Z]|$)`)

// RealtimeTransform builds url.full and the HTTP/TLS versions, cuts the
// query off url.path, decodes the URL-encoded user agent and names the
// distribution from the key (reference sf_cloudfront_realtime).
func RealtimeTransform(d map[string]any, r *logtype.Result) error {
	if p := doc.GetString(d, "url.path"); strings.Contains(p, "?") {
		path, query, _ := strings.Cut(p, "?")
		doc.Set(d, "url.path", path)
		if q := doc.GetString(d, "url.query"); (q == "" || q == "-") && query != "" {
			doc.Set(d, "url.query", query)
		}
	}
	httpFields(d, doc.GetString(d, "cs_host"), doc.GetString(d, "url.path"), doc.GetString(d, "url.query"))
	id := "unknown"
	for _, m := range distributionID.FindAllStringSubmatch(doc.GetString(d, "@log_s3key"), -1) {
		if strings.IndexFunc(m[2], func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
			id = m[2]
			break
		}
	}
	d["distribution_id"] = id
	return nil
}
