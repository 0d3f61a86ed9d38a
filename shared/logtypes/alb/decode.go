// Package alb registers the Application Load Balancer access log type and
// its line decoder. The decoder accepts every field generation AWS has
// shipped since 2016 (fields are only ever appended), so old and new lines
// in one bucket both load; lines of the NLB TLS and ALB connection log
// formats that land in the same bucket are decoded too (log_kind says which).
package alb

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// accessFields names the ALB access log fields in order after the ones the
// decoder handles itself (type ... sent_bytes, request).
var accessTail = []string{
	"useragent", "ssl_cipher", "ssl_protocol", "target_group_arn", "trace_id",
	"domain_name", "chosen_cert_arn", "matched_rule_priority", "request_creation_time",
	"actions_executed", "redirect_url", "lambda_error_reason", "target_port_list",
	"target_status_code_list", "classification", "classification_reason", "conn_trace_id",
}

var nlbFields = []string{
	"listener_type", "log_entry_version", "timestamp", "elb", "listener", "client", "destination",
	"connection_time", "tls_handshake_time", "received_bytes", "sent_bytes", "incoming_tls_alert",
	"chosen_cert_arn", "chosen_cert_serial", "tls_cipher", "tls_protocol_version", "tls_named_group",
	"domain_name", "alpn_fe_protocol", "alpn_be_protocol", "alpn_client_preference_list",
	"tls_connection_creation_time",
}

var connFields = []string{
	"timestamp", "client_ip", "client_port", "listener_port", "tls_protocol", "tls_cipher",
	"tls_handshake_latency", "leaf_client_cert_subject", "leaf_client_cert_validity",
	"leaf_client_cert_serial_number", "tls_verify_status", "conn_trace_id",
}

// tokenize splits a line on spaces; a field that starts with a double quote
// runs to the next unescaped double quote (so it may hold spaces). A quote
// directly followed by a non-space character still ends the field: real
// lines have `"-"1 2018-...` with the space missing.
func tokenize(s string) ([]string, error) {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] != '"' {
			j := strings.IndexByte(s[i:], ' ')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, s[i:i+j])
			i += j
			continue
		}
		j := i + 1
		var b strings.Builder
		closed := false
		for j < len(s) {
			c := s[j]
			if c == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
				b.WriteByte(s[j+1])
				j += 2
				continue
			}
			if c == '"' {
				closed = true
				j++
				break
			}
			b.WriteByte(c)
			j++
		}
		if !closed {
			return nil, fmt.Errorf("field %d: quote opened at byte %d is never closed", len(out)+1, i)
		}
		out = append(out, b.String())
		i = j
	}
	return out, nil
}

// splitHostPort splits "ip:port", "[v6]:port" and "v6:port" (the last colon
// separates the port).
func splitHostPort(s string) (ip, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", false
		}
		ip, port = s[1:end], s[end+2:]
	} else {
		k := strings.LastIndexByte(s, ':')
		if k < 0 {
			return "", "", false
		}
		ip, port = s[:k], s[k+1:]
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		return "", "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", false
	}
	return ip, port, true
}

func isNumberOrDash(s string) bool {
	if s == "-" {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func isTime(s string) bool {
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return true
	}
	_, err := time.Parse("2006-01-02T15:04:05", s)
	return err == nil
}

func set(m map[string]any, k, v string) {
	if v != "" && v != "-" {
		m[k] = v
	}
}

// Decode parses one trimmed log line into raw fields (strings; "-" and
// absent fields are omitted).
func Decode(raw []byte) (map[string]any, error) {
	line := string(raw)
	tok, err := tokenize(line)
	if err != nil {
		return nil, err
	}
	if len(tok) == 0 {
		return nil, errors.New("empty line")
	}
	switch {
	case tok[0] == "tls" && len(tok) > 1 && strings.Contains(tok[1], "."):
		return decodeNLB(strings.Fields(line))
	case isTime(tok[0]) && len(tok) > 2 && isHostPort(tok[2]):
		return decodeClassic(tok)
	case isTime(tok[0]):
		return decodeConnection(tok)
	}
	return decodeAccess(tok)
}

func decodeAccess(tok []string) (map[string]any, error) {
	if len(tok) < 14 {
		return nil, fmt.Errorf("ALB access log line has %d fields, want at least 14 (through user_agent)", len(tok))
	}
	m := map[string]any{"log_kind": "alb-access"}
	switch tok[0] {
	case "http", "https", "h2", "grpcs", "ws", "wss":
	default:
		return nil, fmt.Errorf("field 1 (type): %q is not http, https, h2, grpcs, ws or wss", tok[0])
	}
	m["request_type"] = tok[0]
	if !isTime(tok[1]) {
		return nil, fmt.Errorf("field 2 (time): %q is not an ISO 8601 time", tok[1])
	}
	m["timestamp"] = tok[1]
	set(m, "elb", tok[2])
	ip, port, ok := splitHostPort(tok[3])
	if !ok {
		return nil, fmt.Errorf("field 4 (client:port): want ip:port, got %q", tok[3])
	}
	m["client_ip"], m["client_port"] = ip, port
	if tok[4] != "-" {
		ip, port, ok := splitHostPort(tok[4])
		if !ok {
			return nil, fmt.Errorf("field 5 (target:port): want ip:port or -, got %q", tok[4])
		}
		m["target_ip"], m["target_port"] = ip, port
	}
	for i, name := range []string{"request_processing_time", "target_processing_time", "response_processing_time", "elb_status_code", "target_status_code", "received_bytes", "sent_bytes"} {
		v := tok[5+i]
		if !isNumberOrDash(v) {
			return nil, fmt.Errorf("field %d (%s): %q is not a number", 6+i, name, v)
		}
		set(m, name, v)
	}
	m["request"] = tok[12]
	parseRequest(m, tok[12])
	rest := tok[13:]
	for i, v := range rest {
		if i < len(accessTail) {
			set(m, accessTail[i], v)
			continue
		}
		m["extra_fields"] = strings.Join(rest[i:], " ")
		break
	}
	return m, nil
}

// parseRequest splits "<method> <url> <protocol>/<version>". The URL may
// hold spaces (SpaceInUri), and malformed requests ("- - -",
// "- http://host:80- -") keep whatever parts make sense.
func parseRequest(m map[string]any, req string) {
	req = strings.TrimSpace(req)
	first := strings.IndexByte(req, ' ')
	if first < 0 {
		return
	}
	method := req[:first]
	rest := strings.TrimSpace(req[first+1:])
	url, version := rest, ""
	if last := strings.LastIndexByte(rest, ' '); last >= 0 {
		url, version = strings.TrimSpace(rest[:last]), rest[last+1:]
	}
	set(m, "http_method", method)
	if strings.Contains(version, "/") {
		set(m, "http_protocol_version", version)
		_, v, _ := strings.Cut(version, "/")
		set(m, "http_version", v)
	}
	scheme, after, ok := strings.Cut(url, "://")
	if !ok {
		return
	}
	set(m, "http_url", url)
	set(m, "http_protocol", scheme)
	hostEnd := strings.IndexAny(after, "/?")
	hostport, pathq := after, ""
	if hostEnd >= 0 {
		hostport, pathq = after[:hostEnd], after[hostEnd:]
	}
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		if end := strings.IndexByte(hostport, ']'); end > 0 {
			host = hostport[1:end]
			port = strings.TrimPrefix(hostport[end+1:], ":")
		}
	} else if k := strings.LastIndexByte(hostport, ':'); k >= 0 {
		host, port = hostport[:k], hostport[k+1:]
	}
	set(m, "http_host", host)
	if n, err := strconv.Atoi(port); err == nil && n >= 0 && n <= 65535 {
		m["http_port"] = port
	}
	path, query, hasQuery := strings.Cut(pathq, "?")
	set(m, "http_path", path)
	if hasQuery {
		set(m, "http_query", query)
	}
}

func isHostPort(s string) bool {
	_, _, ok := splitHostPort(s)
	return ok
}

// decodeClassic reads a Classic Load Balancer line (no leading type; the
// load balancer name second), which can share a bucket with ALB logs:
// timestamp elb client:port backend:port request_processing_time
// backend_processing_time response_processing_time elb_status_code
// backend_status_code received_bytes sent_bytes "request" "user_agent"
// ssl_cipher ssl_protocol. Backend fields use the ALB target_* names.
func decodeClassic(tok []string) (map[string]any, error) {
	if len(tok) < 12 {
		return nil, fmt.Errorf("Classic Load Balancer line has %d fields, want at least 12 (through request)", len(tok))
	}
	m := map[string]any{"log_kind": "clb", "timestamp": tok[0]}
	set(m, "elb", tok[1])
	ip, port, _ := splitHostPort(tok[2])
	m["client_ip"], m["client_port"] = ip, port
	if tok[3] != "-" {
		ip, port, ok := splitHostPort(tok[3])
		if !ok {
			return nil, fmt.Errorf("field 4 (backend:port): want ip:port or -, got %q", tok[3])
		}
		m["target_ip"], m["target_port"] = ip, port
	}
	for i, name := range []string{"request_processing_time", "target_processing_time", "response_processing_time", "elb_status_code", "target_status_code", "received_bytes", "sent_bytes"} {
		v := tok[4+i]
		if !isNumberOrDash(v) {
			return nil, fmt.Errorf("field %d (%s): %q is not a number", 5+i, name, v)
		}
		set(m, name, v)
	}
	if len(tok) > 11 {
		m["request"] = tok[11]
		parseRequest(m, tok[11])
	}
	for i, name := range []string{"useragent", "ssl_cipher", "ssl_protocol"} {
		if 12+i < len(tok) {
			set(m, name, tok[12+i])
		}
	}
	if len(tok) > 15 {
		m["extra_fields"] = strings.Join(tok[15:], " ")
	}
	return m, nil
}

func decodeNLB(tok []string) (map[string]any, error) {
	if len(tok) < 11 {
		return nil, fmt.Errorf("NLB TLS log line has %d fields, want at least 11", len(tok))
	}
	m := map[string]any{"log_kind": "nlb"}
	if !isTime(tok[2]) {
		return nil, fmt.Errorf("field 3 (time): %q is not an ISO 8601 time", tok[2])
	}
	for i, v := range tok {
		if i >= len(nlbFields) {
			m["extra_fields"] = strings.Join(tok[i:], " ")
			break
		}
		switch nlbFields[i] {
		case "client", "destination":
			ip, port, ok := splitHostPort(v)
			if !ok {
				if v == "-" {
					continue
				}
				return nil, fmt.Errorf("field %d (%s:port): want ip:port, got %q", i+1, nlbFields[i], v)
			}
			m[nlbFields[i]+"_ip"], m[nlbFields[i]+"_port"] = ip, port
		case "connection_time", "tls_handshake_time", "received_bytes", "sent_bytes":
			if !isNumberOrDash(v) {
				return nil, fmt.Errorf("field %d (%s): %q is not a number", i+1, nlbFields[i], v)
			}
			set(m, nlbFields[i], v)
		default:
			set(m, nlbFields[i], v)
		}
	}
	return m, nil
}

func decodeConnection(tok []string) (map[string]any, error) {
	if len(tok) < 11 {
		return nil, fmt.Errorf("ALB connection log line has %d fields, want at least 11", len(tok))
	}
	m := map[string]any{"log_kind": "alb-connection"}
	if _, err := netip.ParseAddr(tok[1]); err != nil {
		return nil, fmt.Errorf("field 2 (client_ip): %q is not an IP address", tok[1])
	}
	for _, i := range []int{2, 3} {
		if n, err := strconv.Atoi(tok[i]); err != nil || n < 0 || n > 65535 {
			return nil, fmt.Errorf("field %d (%s): %q is not a port", i+1, connFields[i], tok[i])
		}
	}
	for i, v := range tok {
		if i >= len(connFields) {
			m["extra_fields"] = strings.Join(tok[i:], " ")
			break
		}
		set(m, connFields[i], v)
	}
	return m, nil
}
