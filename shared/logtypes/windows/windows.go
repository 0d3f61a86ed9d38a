// Package windows registers the Windows event XML log types:
// windows-event (CloudWatch agent), directory-service (AWS Managed
// Microsoft AD) and fsx-win (FSx for Windows audit).
package windows

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
)

var (
	//go:embed windows-event.yaml
	windowsDefinition []byte
	//go:embed directory-service.yaml
	directoryDefinition []byte
	//go:embed fsx-win.yaml
	fsxDefinition []byte
	//go:embed eventids.tsv
	eventIDTable []byte
)

// eventIDs maps an event id to its action and outcome.
var eventIDs = map[string][2]string{}

func init() {
	sc := bufio.NewScanner(bytes.NewReader(eventIDTable))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) == 3 && !strings.HasPrefix(f[0], "#") {
			eventIDs[f[0]] = [2]string{f[1], f[2]}
		}
	}
	for _, def := range [][]byte{windowsDefinition, directoryDefinition, fsxDefinition} {
		logtype.Register(logtype.Package{YAML: def, Transform: Transform, Decoder: logtype.BytesDecoder(Decode)})
	}
}

// node is an XML element being read: attributes and children as plain
// keys (repeated children become a list), text as "#text".
type node struct {
	fields map[string]any
	text   strings.Builder
}

var controlChars = regexp.MustCompile(`[\x00-\x08\x0b\x0c\x0e-\x1f]`)

// Decode reads one <Event> element. Control characters some sources leave
// in event data make the XML invalid: on an error it is read again
// without them.
func Decode(raw []byte) (map[string]any, error) {
	raw = bytes.TrimRight(bytes.TrimSpace(raw), "\x00")
	m, err := parse(raw)
	if err != nil {
		m, err = parse(controlChars.ReplaceAll(raw, nil))
	}
	if err != nil {
		return nil, fmt.Errorf("Windows event XML: %w", err)
	}
	ev, ok := m["Event"].(map[string]any)
	if !ok {
		return nil, errors.New("Windows event XML: no <Event> element")
	}
	delete(ev, "#text")
	delete(ev, "xmlns")
	if sys, ok := ev["System"].(map[string]any); ok {
		delete(sys, "#text")
		// <EventID Qualifiers="16384">7036</EventID>
		if id, ok := sys["EventID"].(map[string]any); ok {
			sys["EventID"] = id["#text"]
			if q, ok := id["Qualifiers"]; ok {
				sys["Qualifiers"] = q
			}
		}
	}
	if data, ok := ev["EventData"].(map[string]any); ok {
		data["Data"] = eventData(data["Data"])
		if dd, ok := data["Data"].(map[string]any); ok {
			for _, k := range []string{"AccessList", "PrivilegeList"} {
				if s, ok := dd[k].(string); ok {
					l := []any{}
					for _, f := range strings.Fields(s) {
						l = append(l, f)
					}
					dd[k] = l
				}
			}
		}
	}
	return map[string]any{"Event": ev}, nil
}

// eventData turns <Data Name="X">v</Data>... into {"X": "v"}; unnamed
// data are numbered from 1; empty and "-" values are left out.
func eventData(v any) any {
	items, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil
		}
		items = []any{v}
	}
	out := map[string]any{}
	for i, it := range items {
		name, text := strconv.Itoa(i+1), ""
		switch t := it.(type) {
		case string:
			text = t
		case map[string]any:
			if n, ok := t["Name"].(string); ok && n != "" {
				name = n
			}
			text, _ = t["#text"].(string)
		}
		if text = strings.TrimSpace(text); text != "" && text != "-" {
			out[name] = text
		}
	}
	return out
}

func parse(raw []byte) (map[string]any, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.Strict = true
	root := &node{fields: map[string]any{}}
	stack := []*node{root}
	names := []string{""}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{fields: map[string]any{}}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				n.fields[a.Name.Local] = a.Value
			}
			stack = append(stack, n)
			names = append(names, t.Name.Local)
		case xml.CharData:
			stack[len(stack)-1].text.Write(t)
		case xml.EndElement:
			n, name := stack[len(stack)-1], names[len(names)-1]
			stack, names = stack[:len(stack)-1], names[:len(names)-1]
			if len(stack) == 0 {
				return nil, errors.New("unbalanced XML")
			}
			var v any
			text := strings.TrimSpace(n.text.String())
			switch {
			case len(n.fields) == 0:
				v = text
			default:
				if text != "" {
					n.fields["#text"] = text
				}
				v = n.fields
			}
			parent := stack[len(stack)-1].fields
			if prev, ok := parent[name]; ok {
				if l, ok := prev.([]any); ok {
					parent[name] = append(l, v)
				} else {
					parent[name] = []any{prev, v}
				}
			} else {
				parent[name] = v
			}
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("unterminated XML element")
	}
	return root.fields, nil
}

// Transform sets the action and outcome of the event id (reference
// Appendix A), the channel, and the instance from the log stream.
func Transform(d map[string]any, r *logtype.Result) error {
	id := doc.GetString(d, "event.code")
	if ao, ok := eventIDs[id]; ok {
		doc.Set(d, "event.action", ao[0])
		if ao[1] != "" {
			doc.Set(d, "event.outcome", ao[1])
		}
	}
	if ch := doc.GetString(d, "Event.System.Channel"); ch != "" {
		doc.Set(d, "winlog.channel", ch)
	}
	if id := ecs.EC2InstanceID(doc.GetString(d, "@log_stream")); id != "" {
		doc.Set(d, "cloud.instance.id", id)
		doc.Set(d, "related.hosts", []any{id})
	}
	return nil
}
