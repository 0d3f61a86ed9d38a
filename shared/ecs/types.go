// Package ecs knows the Elastic Common Schema field types we emit, so every
// document carries a field with one JSON type only (numbers as numbers,
// addresses validated) whatever the source wrote.
package ecs

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Version is written to ecs.version.
const Version = "1.10.0"

// Kind is the JSON type an ECS field must have.
type Kind int

const (
	Keyword Kind = iota
	Long
	Float
	IP
)

var exact = map[string]Kind{
	"http.response.status_code": Long,
	"http.request.bytes":        Long,
	"http.response.bytes":       Long,
	"network.bytes":             Long,
	"network.packets":           Long,
	"event.severity":            Long,
	"event.duration":            Long,
	"source.as.number":          Long,
	"destination.as.number":     Long,
	"vulnerability.score.base":  Float,
	"event.risk_score":          Float,
	"event.risk_score_norm":     Float,
	"url.port":                  Long,
	"process.pid":               Long,
	"process.thread.id":         Long,
}

// KindOf returns the type of an ECS field.
func KindOf(field string) Kind {
	if k, ok := exact[field]; ok {
		return k
	}
	switch {
	case strings.HasSuffix(field, ".port"), strings.HasSuffix(field, ".bytes"), strings.HasSuffix(field, ".packets"):
		return Long
	case strings.HasSuffix(field, ".ip") || field == "related.ip":
		return IP
	}
	return Keyword
}

// Coerce converts v to the type field must have. ok is false when the value
// cannot be represented (e.g. "-" for a port, "abc" for an address); the raw
// field stays in the document, so nothing is lost.
func Coerce(field string, v any) (any, bool) {
	return CoerceAs(KindOf(field), v)
}

// CoerceAs is Coerce for a field of kind k: a caller that coerces the
// same fields record after record looks their kinds up once.
func CoerceAs(k Kind, v any) (any, bool) {
	switch k {
	case Long:
		return toLong(v)
	case Float:
		return toFloat(v)
	case IP:
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		t := strings.TrimSpace(s)
		a, err := netip.ParseAddr(t)
		if err != nil {
			return nil, false
		}
		if a.Is4() && len(t) == len(s) {
			// ParseAddr takes dotted quads only without leading zeros:
			// their text is already canonical.
			return v, true
		}
		a = a.Unmap()
		// Most addresses arrive in canonical form: keep the value as it
		// is instead of a fresh copy of the same text.
		var buf [48]byte
		if string(a.AppendTo(buf[:0])) == s {
			return v, true
		}
		return a.String(), true
	}
	switch t := v.(type) {
	case string:
		return v, t != "" // v as it is: re-boxing t would allocate
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case int, int64:
		return fmt.Sprint(t), true
	case nil:
		return nil, false
	}
	// Objects and lists are kept as they are (e.g. a geo location).
	return v, true
}

func toLong(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(strings.TrimSpace(t), 64)
			if ferr != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
				return nil, false
			}
			return boxLong(int64(f)), true
		}
		return boxLong(n), true
	case json.Number:
		return toLong(string(t))
	case float64:
		if t != math.Trunc(t) {
			return nil, false
		}
		return boxLong(int64(t)), true
	case int:
		return boxLong(int64(t)), true
	case int64:
		return boxLong(t), true
	}
	return nil, false
}

func toFloat(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case json.Number:
		return toFloat(string(t))
	case float64:
		return t, true
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	}
	return nil, false
}
