package format

import (
	"bytes"
	"errors"
	"github.com/siemloader/siem/shared/logtype"
	"regexp"
	"strings"
)

// CEF (ArcSight Common Event Format), as security products write it over
// syslog: an optional syslog header, then
//
//	CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
//
// Header fields escape "|" and "\" with a backslash; extension values
// escape "=", "\" and newlines. Extension keys are single words followed
// by "=", so a value runs to the next " key=" (producers often leave "="
// inside values unescaped, e.g. in URLs; those stay part of the value).

var cefHeaderNames = []string{"cef_version", "cef_device_vendor", "cef_device_product", "cef_device_version", "cef_device_event_class_id", "cef_name", "cef_severity"}

var (
	cefKey = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]+$`)
	// syslog header before "CEF:": "<190>2021-10-06T01:29:43-07:00 host"
	// or "<190>Jan 19 13:36:47 host".
	cefSyslog = regexp.MustCompile(`^(?:<(?P<syslog_pri>\d{1,3})>)?(?:\d+ )?(?P<syslog_timestamp>\d{4}-\d\d-\d\dT\S+|[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?: \d{4})?)? *(?P<syslog_host>\S+)?\s*$`)
)

// CEFFormat: one CEF event per line, optionally after a syslog header.
var CEFFormat = &Format{
	Name:  "cef",
	Frame: newLineFramer,
	Decode: func(_ *logtype.Definition, rec Record) (Decoded, error) {
		return fieldsOnly(decodeCEF(unwrapMessage(rec.Raw)))
	},
}

func init() { Register(CEFFormat) }

func decodeCEF(raw []byte) (map[string]any, error) {
	i := bytes.Index(raw, []byte("CEF:"))
	if i < 0 {
		return nil, errors.New("no CEF header (CEF:Version|Vendor|Product|...)")
	}
	out := map[string]any{}
	if prefix := strings.TrimSpace(string(raw[:i])); prefix != "" {
		if m := cefSyslog.FindStringSubmatch(prefix); m != nil {
			for j, name := range cefSyslog.SubexpNames() {
				if name != "" && m[j] != "" {
					out[name] = m[j]
				}
			}
		} else {
			out["syslog_header"] = prefix
		}
	}
	rest := string(raw[i+len("CEF:"):])
	for n := 0; n < len(cefHeaderNames); n++ {
		end := unescapedIndex(rest, '|')
		if end < 0 {
			if n < 6 {
				return nil, errors.New("CEF header has fewer than the 7 fields Version|Vendor|Product|Version|Signature ID|Name|Severity")
			}
			// Severity without an extension.
			out[cefHeaderNames[n]] = unescapeCEF(strings.TrimSpace(rest), "|\\")
			rest = ""
			break
		}
		out[cefHeaderNames[n]] = unescapeCEF(strings.TrimSpace(rest[:end]), "|\\")
		rest = rest[end+1:]
	}
	parseCEFExtension(rest, out)
	// "cs1Label=Host ID cs1=42" -> "host_id": "42" (labels are prose;
	// field names should be queryable).
	for k, v := range out {
		base, ok := strings.CutSuffix(k, "Label")
		label, isString := v.(string)
		if !ok || !isString || label == "" {
			continue
		}
		if val, ok := out[base]; ok {
			out[SnakeCase(label)] = val
			delete(out, base)
			delete(out, k)
		}
	}
	return out, nil
}

// parseCEFExtension reads "key=value key2=value two" pairs.
func parseCEFExtension(s string, out map[string]any) {
	type pair struct{ keyStart, eq int }
	var pairs []pair
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // an escaped character is never a separator
		case '=':
			start := strings.LastIndexByte(s[:i], ' ') + 1
			if start < i && cefKey.MatchString(s[start:i]) && (len(pairs) == 0 || start > pairs[len(pairs)-1].eq) {
				pairs = append(pairs, pair{start, i})
			}
		}
	}
	if len(pairs) == 0 {
		if t := strings.TrimSpace(s); t != "" {
			out["cef_extension"] = t
		}
		return
	}
	for j, p := range pairs {
		end := len(s)
		if j+1 < len(pairs) {
			end = pairs[j+1].keyStart
		}
		out[s[p.keyStart:p.eq]] = unescapeCEF(strings.TrimRight(s[p.eq+1:end], " "), "=\\")
	}
}

// unescapedIndex is the index of the first c not escaped by a backslash.
func unescapedIndex(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			return i
		}
	}
	return -1
}

// unescapeCEF undoes backslash escapes of the given characters and, in
// extension values, \n and \r.
func unescapeCEF(s, chars string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch c := s[i+1]; {
			case strings.IndexByte(chars, c) >= 0:
				b.WriteByte(c)
				i++
				continue
			case chars == "=\\" && c == 'n':
				b.WriteByte('\n')
				i++
				continue
			case chars == "=\\" && c == 'r':
				b.WriteByte('\r')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// SnakeCase turns a label or column title ("DPI Packet Position",
// "Security Group ID") into a field name ("dpi_packet_position",
// "security_group_id").
func SnakeCase(label string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(label) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			sep = false
		} else {
			sep = true
		}
	}
	if b.Len() == 0 {
		return "label"
	}
	return b.String()
}
