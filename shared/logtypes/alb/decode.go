// Package alb registers the Application Load Balancer access log type and
// its line decoder. The decoder accepts every field generation AWS has
// shipped since 2016 (fields are only ever appended), so old and new lines
// in one bucket both load; lines of the NLB TLS, ALB connection and Classic
// Load Balancer formats that land in the same bucket are decoded too
// (log_kind says which).
package alb

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/swar"
)

// Values of the log_kind field.
const (
	KindAccess     = "alb-access"     // ALB access log (starts with the request type)
	KindConnection = "alb-connection" // ALB connection log (starts with a timestamp, then a bare IP)
	KindNLB        = "nlb"            // NLB TLS access log (starts with "tls <version>")
	KindClassic    = "clb"            // Classic Load Balancer (starts with a timestamp, then the name)
)

// field describes one positional field: the name AWS documents (used in
// error messages) and the key Decode stores it under ("" when the field is
// stored by special code, e.g. client:port).
type field struct{ doc, key string }

// accessFields is the ALB access log in order. Every generation is a
// prefix of this list; anything after it goes to extra_fields.
var accessFields = [...]field{
	{"type", "request_type"},
	{"time", "timestamp"},
	{"elb", "elb"},
	{"client:port", ""},
	{"target:port", ""},
	{"request_processing_time", "request_processing_time"},
	{"target_processing_time", "target_processing_time"},
	{"response_processing_time", "response_processing_time"},
	{"elb_status_code", "elb_status_code"},
	{"target_status_code", "target_status_code"},
	{"received_bytes", "received_bytes"},
	{"sent_bytes", "sent_bytes"},
	{"request", ""},
	{"user_agent", "useragent"},
	{"ssl_cipher", "ssl_cipher"},
	{"ssl_protocol", "ssl_protocol"},
	{"target_group_arn", "target_group_arn"},
	{"trace_id", "trace_id"},
	{"domain_name", "domain_name"},
	{"chosen_cert_arn", "chosen_cert_arn"},
	{"matched_rule_priority", "matched_rule_priority"},
	{"request_creation_time", "request_creation_time"},
	{"actions_executed", "actions_executed"},
	{"redirect_url", "redirect_url"},
	{"error_reason", "lambda_error_reason"},
	{"target:port_list", "target_port_list"},
	{"target_status_code_list", "target_status_code_list"},
	{"classification", "classification"},
	{"classification_reason", "classification_reason"},
	{"conn_trace_id", "conn_trace_id"},
}

// accessMinFields: a line must reach user_agent. Everything the decoder
// validates is in the first 13 fields; the oldest real generation (2016)
// continues to trace_id, but a line cut after user_agent still loses
// nothing it has.
const accessMinFields = 14

// Indexes into accessFields used by code.
const (
	aType = iota
	aTime
	aELB
	aClient
	aTarget
	aRequestProcessingTime
	aTargetProcessingTime
	aResponseProcessingTime
	aELBStatus
	aTargetStatus
	aReceivedBytes
	aSentBytes
	aRequest
	aUserAgent
)

var nlbFields = [...]field{
	{"type", "listener_type"},
	{"version", "log_entry_version"},
	{"time", "timestamp"},
	{"elb", "elb"},
	{"listener", "listener"},
	{"client:port", ""},
	{"destination:port", ""},
	{"connection_time", "connection_time"},
	{"tls_handshake_time", "tls_handshake_time"},
	{"received_bytes", "received_bytes"},
	{"sent_bytes", "sent_bytes"},
	{"incoming_tls_alert", "incoming_tls_alert"},
	{"chosen_cert_arn", "chosen_cert_arn"},
	{"chosen_cert_serial", "chosen_cert_serial"},
	{"tls_cipher", "tls_cipher"},
	{"tls_protocol_version", "tls_protocol_version"},
	{"tls_named_group", "tls_named_group"},
	{"domain_name", "domain_name"},
	{"alpn_fe_protocol", "alpn_fe_protocol"},
	{"alpn_be_protocol", "alpn_be_protocol"},
	{"alpn_client_preference_list", "alpn_client_preference_list"},
	{"tls_connection_creation_time", "tls_connection_creation_time"},
}

// nlbMinFields: through sent_bytes.
const nlbMinFields = 11

var connFields = [...]field{
	{"time", "timestamp"},
	{"client_ip", "client_ip"},
	{"client_port", "client_port"},
	{"listener_port", "listener_port"},
	{"tls_protocol", "tls_protocol"},
	{"tls_cipher", "tls_cipher"},
	{"tls_handshake_latency", "tls_handshake_latency"},
	{"leaf_client_cert_subject", "leaf_client_cert_subject"},
	{"leaf_client_cert_validity", "leaf_client_cert_validity"},
	{"leaf_client_cert_serial_number", "leaf_client_cert_serial_number"},
	{"tls_verify_status", "tls_verify_status"},
	{"conn_trace_id", "conn_trace_id"},
}

// connMinFields: through tls_verify_status (conn_trace_id came later).
const connMinFields = 11

// classicFields is the Classic Load Balancer access log. Backend fields are
// stored under the ALB target_* names so one mapping serves both.
var classicFields = [...]field{
	{"time", "timestamp"},
	{"elb", "elb"},
	{"client:port", ""},
	{"backend:port", ""},
	{"request_processing_time", "request_processing_time"},
	{"backend_processing_time", "target_processing_time"},
	{"response_processing_time", "response_processing_time"},
	{"elb_status_code", "elb_status_code"},
	{"backend_status_code", "target_status_code"},
	{"received_bytes", "received_bytes"},
	{"sent_bytes", "sent_bytes"},
	{"request", ""},
	{"user_agent", "useragent"},
	{"ssl_cipher", "ssl_cipher"},
	{"ssl_protocol", "ssl_protocol"},
}

// classicMinFields: through request (TCP listeners end the line there on
// the oldest generation).
const classicMinFields = 12

// maxTokens bounds the fields kept on the stack; longer lines still decode
// (the tail spills to the heap).
const maxTokens = 40

// Decode parses one ALB access log line (already trimmed) into raw fields.
// Values are strings; fields whose value is "-" or empty are omitted.
// log_kind tells which of the formats that share ELB buckets the line is
// (alb-access, alb-connection, nlb or clb).
func Decode(raw []byte) (map[string]any, error) { return DecodeLine(string(raw), nil) }

// DecodeLine is Decode of the line as a string (every value is a
// substring of it), filling into (an empty map) when it is not nil.
func DecodeLine(line string, into map[string]any) (map[string]any, error) {
	if len(line) == 0 {
		return nil, fmt.Errorf("empty line")
	}
	var buf [maxTokens]tok
	if strings.HasPrefix(strings.TrimLeft(line, " "), "tls ") {
		return decodeNLB(splitSpaces(line, buf[:0]), into)
	}
	toks, err := tokenize(line, buf[:0])
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty line")
	}
	if first := toks[0]; !first.quoted && first.v[0] >= '0' && first.v[0] <= '9' {
		if !isTimestamp(first.v) {
			return nil, fmt.Errorf("field 1 (time): want an RFC 3339 timestamp, got %s", quote(first.v))
		}
		if len(toks) > 1 && isIP(toks[1].v) {
			return decodeConnection(toks, into)
		}
		return decodeClassic(toks, into)
	}
	return decodeAccess(toks, into)
}

func isIP(s string) bool {
	// Every address starts with a digit (IPv4, and IPv6 such as 2001:db8::)
	// or holds a colon (any IPv6): a Classic line's load balancer name is
	// told apart without the error ParseAddr would build for it.
	if s == "" || (s[0] < '0' || s[0] > '9') && strings.IndexByte(s, ':') < 0 {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// tok is one field: its value (quotes removed, escapes resolved) and
// whether it was quoted.
type tok struct {
	v      string
	quoted bool
}

// unterminated reports a quote that is never closed in field i (0-based),
// named after the format the fields before it show.
func unterminated(toks []tok, i, col int) error {
	fields := accessFields[:]
	if len(toks) > 0 && toks[0].v != "" && toks[0].v[0] >= '0' && toks[0].v[0] <= '9' {
		fields = classicFields[:]
		if len(toks) > 1 && isIP(toks[1].v) {
			fields = connFields[:]
		}
	}
	name := ""
	if i < len(fields) {
		name = " (" + fields[i].doc + ")"
	}
	return fmt.Errorf("field %d%s: quote opened at column %d is never closed", i+1, name, col)
}

// tokenize splits a line into space-separated fields in one pass. A field
// that starts with a double quote runs to the next unescaped double quote
// and may hold spaces; \" and \\ inside it stand for " and \. A closing
// quote ends the field even when no space follows (real lines have
// `"-"1 2018-...`, the space before matched_rule_priority missing).
func tokenize(s string, dst []tok) ([]tok, error) {
	i, n := 0, len(s)
	for {
		for i < n && s[i] == ' ' {
			i++
		}
		if i >= n {
			return dst, nil
		}
		if s[i] != '"' {
			j := i
			for j+8 <= n {
				if m := swar.Equal(swar.Word(s, j), ' '); m != 0 {
					j += swar.First(m)
					break
				}
				j += 8
			}
			for j < n && s[j] != ' ' {
				j++
			}
			dst = append(dst, tok{v: s[i:j]})
			i = j
			continue
		}
		open := i
		i++
		start := i
		escaped := false
		closed := false
		for i < n {
			if i+8 <= n {
				w := swar.Word(s, i)
				m := swar.Equal(w, '"') | swar.Equal(w, '\\')
				if m == 0 {
					i += 8
					continue
				}
				i += swar.First(m)
			}
			c := s[i]
			if c == '"' {
				closed = true
				break
			}
			if c == '\\' && i+1 < n {
				escaped = true
				i += 2
				continue
			}
			i++
		}
		if !closed {
			return nil, unterminated(dst, len(dst), open+1)
		}
		v := s[start:i]
		if escaped {
			v = unescape(v)
		}
		dst = append(dst, tok{v: v, quoted: true})
		i++ // past the closing quote
	}
}

// unescape resolves \" and \\; other backslashes are kept as they are.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// splitSpaces splits on runs of spaces, without quote handling (NLB lines
// are never quoted field-wise; alpn_client_preference_list holds quotes of
// its own, e.g. "h2","http/1.1").
func splitSpaces(s string, dst []tok) []tok {
	i, n := 0, len(s)
	for {
		for i < n && s[i] == ' ' {
			i++
		}
		if i >= n {
			return dst
		}
		j := i
		for j < n && s[j] != ' ' {
			j++
		}
		dst = append(dst, tok{v: s[i:j]})
		i = j
	}
}

// record is the map being built; vals boxes its values (one allocation
// for all of them rather than one per value).
type record struct {
	m    map[string]any
	vals format.Values
}

// docHeadroom is room in the map for the top-level fields normalization
// adds (@message, @timestamp, source, url, http, ...), so that it is not
// grown and rehashed on the way.
const docHeadroom = 12

// newRecord makes the map for a line of n fields (a line fills at most
// about n+8 keys: client and target split in two, the request line in
// up to eight). kind is one of the Kind constants, passed as an interface
// so that storing it costs nothing.
func newRecord(kind any, n int, into map[string]any) record {
	m := into
	if m == nil {
		m = make(map[string]any, n+8+docHeadroom)
	}
	r := record{m: m, vals: format.NewValues(n + 8)}
	r.m["log_kind"] = kind
	return r
}

// put stores v under k (even when it is "-").
func (r *record) put(k, v string) {
	r.m[k] = r.vals.Box(v)
}

// set stores v under k unless it is empty or "-".
func (r *record) set(k, v string) {
	if v != "" && v != "-" {
		r.put(k, v)
	}
}

// extra keeps fields past the known ones, space-joined, so nothing is lost.
func extra(o *record, toks []tok) {
	if len(toks) == 0 {
		return
	}
	vs := make([]string, len(toks))
	for i, t := range toks {
		vs[i] = t.v
	}
	o.set("extra_fields", strings.Join(vs, " "))
}

// quote renders a bad value for an error message, cut to a sane length.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

func fieldErr(i int, f field, want, got string) error {
	return fmt.Errorf("field %d (%s): want %s, got %s", i+1, f.doc, want, quote(got))
}

func decodeAccess(toks []tok, into map[string]any) (map[string]any, error) {
	t := toks[0].v
	if !isRequestType(t) {
		return nil, fieldErr(aType, accessFields[aType], "a request type (http, https, h2, grpcs, ws, wss)", t)
	}
	if len(toks) < accessMinFields {
		if len(toks) > aTime && !isTimestamp(toks[aTime].v) {
			return nil, fieldErr(aTime, accessFields[aTime], "an RFC 3339 timestamp", toks[aTime].v)
		}
		return nil, fmt.Errorf("ALB access log line has %d fields, want at least %d (type through user_agent)", len(toks), accessMinFields)
	}
	if !isTimestamp(toks[aTime].v) {
		return nil, fieldErr(aTime, accessFields[aTime], "an RFC 3339 timestamp", toks[aTime].v)
	}
	o := newRecord(KindAccess, len(toks), into)
	o.put("request_type", t)
	o.put("timestamp", toks[aTime].v)
	o.set("elb", toks[aELB].v)
	if err := hostPort(&o, toks, aClient, accessFields[aClient], "client_ip", "client_port", false); err != nil {
		return nil, err
	}
	if err := hostPort(&o, toks, aTarget, accessFields[aTarget], "target_ip", "target_port", true); err != nil {
		return nil, err
	}
	if err := numbers(&o, toks, aRequestProcessingTime, accessFields[:]); err != nil {
		return nil, err
	}
	if !toks[aRequest].quoted {
		return nil, fieldErr(aRequest, accessFields[aRequest], "a quoted request line", toks[aRequest].v)
	}
	request(&o, toks[aRequest].v)
	n := len(toks)
	if n > len(accessFields) {
		n = len(accessFields)
	}
	for i := aUserAgent; i < n; i++ {
		o.set(accessFields[i].key, toks[i].v)
	}
	extra(&o, toks[n:])
	return o.m, nil
}

func decodeClassic(toks []tok, into map[string]any) (map[string]any, error) {
	if len(toks) < classicMinFields {
		return nil, fmt.Errorf("Classic Load Balancer line has %d fields, want at least %d (time through request)", len(toks), classicMinFields)
	}
	o := newRecord(KindClassic, len(toks), into)
	o.put("timestamp", toks[0].v)
	o.set("elb", toks[1].v)
	if err := hostPort(&o, toks, 2, classicFields[2], "client_ip", "client_port", false); err != nil {
		return nil, err
	}
	if err := hostPort(&o, toks, 3, classicFields[3], "target_ip", "target_port", true); err != nil {
		return nil, err
	}
	if err := numbers(&o, toks, 4, classicFields[:]); err != nil {
		return nil, err
	}
	if !toks[11].quoted {
		return nil, fieldErr(11, classicFields[11], "a quoted request line", toks[11].v)
	}
	request(&o, toks[11].v)
	n := len(toks)
	if n > len(classicFields) {
		n = len(classicFields)
	}
	for i := 12; i < n; i++ {
		o.set(classicFields[i].key, toks[i].v)
	}
	extra(&o, toks[n:])
	return o.m, nil
}

func decodeConnection(toks []tok, into map[string]any) (map[string]any, error) {
	if len(toks) < connMinFields {
		return nil, fmt.Errorf("ALB connection log line has %d fields, want at least %d (time through tls_verify_status)", len(toks), connMinFields)
	}
	for _, i := range [...]int{2, 3} {
		if !isPort(toks[i].v) {
			return nil, fieldErr(i, connFields[i], "a port number", toks[i].v)
		}
	}
	if v := toks[6].v; v != "-" && !isDecimal(v) {
		return nil, fieldErr(6, connFields[6], "a number or -", v)
	}
	o := newRecord(KindConnection, len(toks), into)
	n := len(toks)
	if n > len(connFields) {
		n = len(connFields)
	}
	for i := 0; i < n; i++ {
		o.set(connFields[i].key, toks[i].v)
	}
	extra(&o, toks[n:])
	return o.m, nil
}

func decodeNLB(toks []tok, into map[string]any) (map[string]any, error) {
	// toks[0] is "tls" (the caller checked the prefix).
	if len(toks) > 1 && !isVersion(toks[1].v) {
		return nil, fieldErr(1, nlbFields[1], "a log entry version such as 2.0", toks[1].v)
	}
	if len(toks) > 2 && !isTimestamp(toks[2].v) {
		return nil, fieldErr(2, nlbFields[2], "an RFC 3339 timestamp", toks[2].v)
	}
	if len(toks) < nlbMinFields {
		return nil, fmt.Errorf("NLB TLS log line has %d fields, want at least %d (type through sent_bytes)", len(toks), nlbMinFields)
	}
	o := newRecord(KindNLB, len(toks), into)
	if err := hostPort(&o, toks, 5, nlbFields[5], "client_ip", "client_port", false); err != nil {
		return nil, err
	}
	if err := hostPort(&o, toks, 6, nlbFields[6], "destination_ip", "destination_port", true); err != nil {
		return nil, err
	}
	for i := 7; i <= 10; i++ {
		if v := toks[i].v; v != "-" && !isDecimal(v) {
			return nil, fieldErr(i, nlbFields[i], "a number or -", v)
		}
	}
	n := len(toks)
	if n > len(nlbFields) {
		n = len(nlbFields)
	}
	for i := 0; i < n; i++ {
		if k := nlbFields[i].key; k != "" {
			o.set(k, toks[i].v)
		}
	}
	extra(&o, toks[n:])
	return o.m, nil
}

// hostPort stores toks[i] ("ip:port", "[v6]:port", "v6:port") as ipKey and
// portKey; "-" is allowed when dashOK.
func hostPort(o *record, toks []tok, i int, f field, ipKey, portKey string, dashOK bool) error {
	v := toks[i].v
	if dashOK && v == "-" {
		return nil
	}
	ip, port, ok := splitHostPort(v)
	if !ok {
		want := "ip:port"
		if dashOK {
			want = "ip:port or -"
		}
		return fieldErr(i, f, want, v)
	}
	o.put(ipKey, ip)
	o.put(portKey, port)
	return nil
}

// numbers checks and stores the seven numeric fields that follow target:port
// (backend:port) in ALB and Classic lines: three timings (-1 when the
// request was not dispatched), two status codes, two byte counts; any may
// be "-".
func numbers(o *record, toks []tok, first int, fields []field) error {
	for i := first; i < first+7; i++ {
		v := toks[i].v
		if v == "-" {
			continue
		}
		switch i - first {
		case 0, 1, 2: // timings
			if !isDecimal(v) {
				return fieldErr(i, fields[i], "a number or -", v)
			}
		case 3, 4: // status codes
			if !isDigits(v) {
				return fieldErr(i, fields[i], "a status code or -", v)
			}
		default: // byte counts
			if !isDigits(v) {
				return fieldErr(i, fields[i], "a byte count or -", v)
			}
		}
		o.put(fields[i].key, v)
	}
	return nil
}

// splitHostPort splits "ip:port", "[v6]:port" and "v6:port" (the last colon
// separates the port) and checks both parts.
func splitHostPort(s string) (ip, port string, ok bool) {
	if len(s) > 0 && s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
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
	if !isPort(port) {
		return "", "", false
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		return "", "", false
	}
	return ip, port, true
}

// request stores the request line and what can be read from it:
// "<method> <url> <protocol>/<version>". The URL is everything between
// the first and the last token, so it may hold spaces (SpaceInUri).
// Malformed lines ("- - -", "- http://host:80- -", a missing version) keep
// whatever parts make sense; none is an error.
func request(o *record, req string) {
	o.set("request", req)
	r := strings.Trim(req, " ")
	if r == "" || r == "-" {
		return
	}
	sp := strings.IndexByte(r, ' ')
	if sp < 0 {
		if looksLikeURL(r) {
			parseURL(o, r)
		} else {
			o.set("http_method", r)
		}
		return
	}
	o.set("http_method", r[:sp])
	rest := strings.TrimLeft(r[sp+1:], " ")
	url := rest
	if k := strings.LastIndexByte(rest, ' '); k >= 0 {
		if v := rest[k+1:]; v == "-" || isHTTPVersion(v) {
			url = strings.TrimRight(rest[:k], " ")
			if v != "-" {
				o.put("http_protocol_version", v)
				o.put("http_version", v[strings.IndexByte(v, '/')+1:])
			}
		}
	} else if isHTTPVersion(rest) {
		// "GET HTTP/1.1": no URL at all.
		o.put("http_protocol_version", rest)
		o.put("http_version", rest[strings.IndexByte(rest, '/')+1:])
		return
	}
	parseURL(o, url)
}

func looksLikeURL(s string) bool {
	return s[0] == '/' || strings.Contains(s, "://")
}

// isHTTPVersion: letters, a slash, a digit first ("HTTP/1.1", "HTTP/2.0").
func isHTTPVersion(s string) bool {
	k := strings.IndexByte(s, '/')
	if k <= 0 || k+1 >= len(s) || s[k+1] < '0' || s[k+1] > '9' {
		return false
	}
	for i := 0; i < k; i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// parseURL fills http_url, http_protocol (scheme), http_host, http_port,
// http_path and http_query (without '?') from an absolute URL; a URL that
// is only a path fills the path and query.
func parseURL(o *record, u string) {
	if u == "" || u == "-" {
		return
	}
	var pq string
	if k := strings.Index(u, "://"); k > 0 && isScheme(u[:k]) {
		o.put("http_url", u)
		o.put("http_protocol", u[:k])
		after := u[k+3:]
		hostport := after
		if e := strings.IndexAny(after, "/?"); e >= 0 {
			hostport, pq = after[:e], after[e:]
		}
		if at := strings.LastIndexByte(hostport, '@'); at >= 0 {
			hostport = hostport[at+1:] // userinfo
		}
		host, port := splitURLHost(hostport)
		o.set("http_host", host)
		if isPort(port) {
			o.put("http_port", port)
		}
	} else if u[0] == '/' {
		pq = u
	} else {
		return
	}
	path, query, hasQuery := strings.Cut(pq, "?")
	o.set("http_path", path)
	if hasQuery {
		o.set("http_query", query)
	}
}

// splitURLHost splits "host:port" and "[v6]:port"; the port may be empty or
// invalid (the caller checks it).
func splitURLHost(hp string) (host, port string) {
	if len(hp) > 0 && hp[0] == '[' {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return hp, ""
		}
		host = hp[1:end]
		if rest := hp[end+1:]; len(rest) > 0 && rest[0] == ':' {
			port = rest[1:]
		}
		return host, port
	}
	k := strings.LastIndexByte(hp, ':')
	if k < 0 {
		return hp, ""
	}
	if strings.IndexByte(hp[:k], ':') >= 0 {
		return hp, "" // an unbracketed IPv6 address: no port to split off
	}
	return hp[:k], hp[k+1:]
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c|0x20 >= 'a' && c|0x20 <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// isRequestType accepts the documented request types and, so that a type
// AWS adds later still loads, any other short lowercase word (the rest of
// the line is validated field by field).
func isRequestType(s string) bool {
	switch s {
	case "http", "https", "h2", "grpcs", "ws", "wss":
		return true
	}
	if len(s) == 0 || len(s) > 8 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// isDecimal: an optional minus sign, digits, an optional fraction.
func isDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	digits := 0
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	return digits > 0 && i == len(s)
}

// isVersion: digits '.' digits ("1.0", "2.0").
func isVersion(s string) bool {
	a, b, ok := strings.Cut(s, ".")
	return ok && isDigits(a) && isDigits(b)
}

// isTimestamp checks RFC 3339 / ISO 8601 date-times as ELB writes them:
// YYYY-MM-DDTHH:MM:SS, an optional fraction, and an optional zone (Z or
// ±hh:mm; NLB lines have none).
func isTimestamp(s string) bool {
	if len(s) < 19 {
		return false
	}
	if !(s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':' && s[16] == ':') {
		return false
	}
	if !two(s, 0, 0, 99) || !two(s, 2, 0, 99) || !two(s, 5, 1, 12) || !two(s, 8, 1, 31) ||
		!two(s, 11, 0, 23) || !two(s, 14, 0, 59) || !two(s, 17, 0, 60) {
		return false
	}
	r := s[19:]
	if len(r) > 0 && r[0] == '.' {
		i := 1
		for i < len(r) && r[i] >= '0' && r[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		r = r[i:]
	}
	switch {
	case r == "" || r == "Z" || r == "z":
		return true
	case len(r) == 6 && (r[0] == '+' || r[0] == '-') && r[3] == ':':
		return two(r, 1, 0, 23) && two(r, 4, 0, 59)
	}
	return false
}

// two reads the two digits at s[i:i+2] and checks lo <= value <= hi.
func two(s string, i, lo, hi int) bool {
	a, b := s[i], s[i+1]
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return false
	}
	v := int(a-'0')*10 + int(b-'0')
	return v >= lo && v <= hi
}
