package format

import (
	"fmt"
	"io"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

// JSON: one or more JSON values, concatenated or one per line (JSON
// Lines); records are the values, or the elements of the list under the
// log type's json_records field ("Records" for CloudTrail; "a|b" names
// alternatives). An EventBridge event is read as its detail.
// JSONName is the JSON format's name.
const JSONName = "json"

var JSON = &Format{
	Name: JSONName,
	Frame: func(def *logtype.Definition, r io.Reader) Framer {
		return newJSONFramer(r, def.RecordsField)
	},
	Decode: decodeJSON,
}

func init() { Register(JSON) }

func decodeJSON(def *logtype.Definition, rec Record) (Decoded, error) {
	v, err := doc.DecodeInto(rec.Raw, docHeadroom, rec.Into)
	if err != nil {
		return Decoded{}, fmt.Errorf("invalid JSON record: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Decoded{}, fmt.Errorf("JSON record is %s, not an object", jsonKind(v))
	}
	m = unwrapEventBridge(m)
	d := Decoded{Fields: m, Text: stableText(rec)}
	if def.RecordsField != "" {
		for name := range strings.SplitSeq(def.RecordsField, "|") {
			if _, wrapped := m[name]; wrapped {
				return Decoded{}, fmt.Errorf("field %q is not a list of records", name)
			}
		}
		if def.RequiredField != "" {
			if _, ok := m[def.RequiredField]; !ok {
				// Not shaped like this log type's records, but an object:
				// it loads with what can be mapped and says why.
				d.Problem = fmt.Sprintf("JSON object without a %q field: not a %s record as AWS delivers it", def.RequiredField, def.Name)
			}
		}
	}
	return d, nil
}

// stableText is a JSON record's Text when it can share the record's
// bytes (Stable); otherwise normalize copies the record for @message.
func stableText(rec Record) string {
	if !rec.Stable {
		return ""
	}
	return rec.text(rec.Raw)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// unwrapEventBridge returns the detail of an EventBridge event (as
// Firehose delivers findings), with the envelope's id, source, account,
// region and time kept as cwe_* fields; other objects are returned as
// they are.
func unwrapEventBridge(m map[string]any) map[string]any {
	_, hasType := m["detail-type"]
	_, hasResources := m["resources"]
	detail, ok := m["detail"].(map[string]any)
	if !hasType || !hasResources || !ok {
		return m
	}
	for k, src := range map[string]string{"cwe_id": "id", "cwe_source": "source", "cwe_accountid": "account", "cwe_region": "region", "cwe_timestamp": "time"} {
		if v, ok := m[src]; ok {
			if _, taken := detail[k]; !taken {
				detail[k] = v
			}
		}
	}
	return detail
}
