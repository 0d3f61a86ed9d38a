// Package ocsf registers the OCSF log types: records already in the Open
// Cybersecurity Schema Framework, as JSON (ocsf-json) or as Amazon Security
// Lake's Parquet (securitylake), indexed per category (log-ocsf-<category>)
// with the ECS fields analysts search on.
package ocsf

import (
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

//go:embed securitylake.yaml
var securityLake []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
	logtype.Register(logtype.Package{YAML: definition, Variant: securityLake, Transform: Transform})
}

// by category uid, when the record has no category_name.
var categories = map[string][2]string{
	"1": {"system", "ocsf-system-activity"},
	"2": {"findings", "ocsf-findings"},
	"3": {"audit", "ocsf-audit-activity"},
	"4": {"network", "ocsf-network-activity"},
	"5": {"config", "ocsf-config-inventory"},
}

// Transform picks the index and @log_type from the OCSF category and
// shortens ARN user names (reference sf_securitylake).
func Transform(d map[string]any, r *logtype.Result) error {
	suffix, logType := "", ""
	if name := strings.TrimSpace(doc.GetString(d, "category_name")); name != "" {
		first, _, _ := strings.Cut(name, " ")
		suffix = strings.ToLower(first)
		var words []string
		for _, w := range strings.Fields(strings.ToLower(name)) {
			if w = strings.Trim(w, "&,()/"); w != "" {
				words = append(words, w)
			}
		}
		logType = "ocsf-" + strings.Join(words, "-")
	} else {
		uid := ""
		switch v := d["category_uid"].(type) {
		case json.Number:
			uid = v.String()
		case string:
			uid = v
		}
		if c, ok := categories[uid]; ok {
			suffix, logType = c[0], c[1]
		}
	}
	if suffix != "" {
		r.Index = "log-ocsf-" + strings.Trim(suffix, "&")
		d["@log_type"] = logType
	}
	if suffix == "findings" {
		// A finding is dated by its last update, then its creation
		// (reference sf_securitylake; OCSF 1.1 moved them to finding_info).
	times:
		for _, kind := range []string{"modified_time", "created_time"} {
			for _, obj := range []string{"finding.", "finding_info."} {
				for _, form := range []string{"", "_dt"} {
					if v, ok := doc.Get(d, obj+kind+form); ok && doc.Present(v) {
						r.Time = v
						break times
					}
				}
			}
		}
	}
	ecs.ShortenUserName(d)
	return nil
}
