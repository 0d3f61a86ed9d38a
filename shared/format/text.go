package format

import (
	"errors"

	"github.com/siemloader/siem/shared/logtype"
)

// Text: one record per line (after header_lines), decoded by the log
// type's pattern (an RE2 regex whose named groups are the fields) or by
// the Go decoder it names. A line wrapped as {"message": "..."} is read
// as its message.
var Text = &Format{Name: "text", Frame: newLineFramer, Decode: decodeText}

func init() { Register(Text) }

func decodeText(def *logtype.Definition, rec Record) (Decoded, error) {
	return decodeTextRecord(def, rec, unwrapMessage(rec.Raw), decodeLine)
}

// decodeLine decodes a text record with the log type's decoder or pattern.
func decodeLine(def *logtype.Definition, rec Record, line string) (map[string]any, error) {
	if d := logtype.LookupDecoder(def.Decoder); d != nil {
		return d(line, rec.Into)
	}
	re := def.PatternRegexp()
	m := re.FindStringSubmatchIndex(line)
	if m == nil || m[0] != 0 {
		return nil, errors.New("line does not match the log type's pattern")
	}
	names := re.SubexpNames()
	out := fields(rec.Into, len(names)+docHeadroom)
	vals := NewValues(len(names))
	for i, name := range names {
		if name == "" || m[2*i] < 0 {
			continue
		}
		out[name] = vals.Box(line[m[2*i]:m[2*i+1]])
	}
	return out, nil
}
