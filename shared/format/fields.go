package format

import (
	"errors"
	"fmt"
	"strings"

	"github.com/siemloader/siem/shared/logtype"
)

// splitQuoted splits a line on spaces; a value in double quotes may hold
// spaces and \" escapes, a value in square brackets may hold spaces (the
// brackets are dropped): the layout of S3 server access logs, CloudFront
// and most web server logs.
func splitQuoted(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					b.WriteByte(s[j+1])
					j++
					continue
				}
				if s[j] == '"' && (j+1 == len(s) || s[j+1] == ' ') {
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("field %d: quote opened at column %d is never closed", len(out)+1, i+1)
			}
			out = append(out, b.String())
			i = j + 1
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("field %d: bracket opened at column %d is never closed", len(out)+1, i+1)
			}
			out = append(out, s[i+1:i+end])
			i += end + 1
		default:
			end := strings.IndexByte(s[i:], ' ')
			if end < 0 {
				end = len(s) - i
			}
			out = append(out, s[i:i+end])
			i += end
		}
	}
	return out, nil
}

// decodeFields names the values of a "fields" line by the definition's
// columns. Lines may stop after min_columns (older format versions);
// values past the known columns are kept in extra_fields.
func decodeFields(def *logtype.Definition, raw []byte) (map[string]any, error) {
	vals, err := splitQuoted(string(raw))
	if err != nil {
		return nil, err
	}
	min := def.MinColumns
	if min == 0 {
		min = len(def.Columns)
	}
	if len(vals) < min {
		return nil, fmt.Errorf("line has %d fields, want at least %d (through %s)", len(vals), min, def.Columns[min-1])
	}
	out := make(map[string]any, len(vals)+1)
	for i, v := range vals {
		if i >= len(def.Columns) {
			out["extra_fields"] = strings.Join(vals[i:], " ")
			break
		}
		if v != "" && v != "-" {
			out[def.Columns[i]] = v
		}
	}
	if len(out) == 0 {
		return nil, errors.New("line holds no values")
	}
	return out, nil
}
