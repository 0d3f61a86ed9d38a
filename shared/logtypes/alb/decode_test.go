package alb_test

import (
	"maps"
	"runtime"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtypes/alb"
)

// kv builds an expected map from key, value pairs.
func kv(pairs ...string) map[string]any {
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

// with returns a copy of m with the pairs added (a value of "" deletes).
func with(m map[string]any, pairs ...string) map[string]any {
	out := maps.Clone(m)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			delete(out, pairs[i])
		} else {
			out[pairs[i]] = pairs[i+1]
		}
	}
	return out
}

func decode(t *testing.T, line string) map[string]any {
	t.Helper()
	m, err := alb.Decode([]byte(line))
	if err != nil {
		t.Fatalf("Decode(%q): %v", line, err)
	}
	return m
}

// same fails with the differing keys.
func same(t *testing.T, line string, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: missing, want %q", k, w)
		} else if g != w {
			t.Errorf("%s = %q, want %q", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s = %q, not expected", k, g)
		}
	}
	if t.Failed() {
		t.Logf("line: %s", line)
	}
}

// The oldest ALB generation (2016) ends at trace_id.
const line2016 = `http 2016-09-01T08:00:01.000001Z app/lb/50dc6c495c0c9188 198.51.100.1:1025 10.0.0.1:8080 0.000 0.003 0.000 304 304 412 197 "GET http://h.example.com:80/s/app.js?v=3 HTTP/1.1" "ua/1.0" - - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef "Root=1-57c7e0a1-0123"`

var want2016 = kv(
	"log_kind", "alb-access",
	"request_type", "http",
	"timestamp", "2016-09-01T08:00:01.000001Z",
	"elb", "app/lb/50dc6c495c0c9188",
	"client_ip", "198.51.100.1", "client_port", "1025",
	"target_ip", "10.0.0.1", "target_port", "8080",
	"request_processing_time", "0.000", "target_processing_time", "0.003", "response_processing_time", "0.000",
	"elb_status_code", "304", "target_status_code", "304",
	"received_bytes", "412", "sent_bytes", "197",
	"request", "GET http://h.example.com:80/s/app.js?v=3 HTTP/1.1",
	"http_method", "GET",
	"http_url", "http://h.example.com:80/s/app.js?v=3",
	"http_protocol", "http",
	"http_host", "h.example.com", "http_port", "80",
	"http_path", "/s/app.js", "http_query", "v=3",
	"http_protocol_version", "HTTP/1.1", "http_version", "1.1",
	"useragent", "ua/1.0",
	"target_group_arn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef",
	"trace_id", "Root=1-57c7e0a1-0123",
)

func TestDecodeGenerations(t *testing.T) {
	cases := []struct {
		name string
		tail string // appended to line2016
		want map[string]any
	}{
		{"2016 through trace_id", "", want2016},
		{"2017 domain_name chosen_cert_arn", ` "h.example.com" "session-reused"`,
			with(want2016, "domain_name", "h.example.com", "chosen_cert_arn", "session-reused")},
		{"2018 rule priority, creation time, actions", ` "-" "-" 0 2016-09-01T08:00:00.990000Z "waf,forward"`,
			with(want2016, "matched_rule_priority", "0", "request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "waf,forward")},
		{"2018 redirect_url error_reason", ` "-" "-" 1 2016-09-01T08:00:00.990000Z "redirect" "https://h.example.com:443/s/app.js?v=3" "LambdaUnhandled"`,
			with(want2016, "matched_rule_priority", "1", "request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "redirect",
				"redirect_url", "https://h.example.com:443/s/app.js?v=3", "lambda_error_reason", "LambdaUnhandled")},
		{"2019 target lists (two targets)", ` "-" "-" 1 2016-09-01T08:00:00.990000Z "forward" "-" "-" "10.0.0.1:8080 10.0.1.1:8080" "502 304"`,
			with(want2016, "matched_rule_priority", "1", "request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "forward",
				"target_port_list", "10.0.0.1:8080 10.0.1.1:8080", "target_status_code_list", "502 304")},
		{"2020 classification", ` "-" "-" 1 2016-09-01T08:00:00.990000Z "forward" "-" "-" "10.0.0.1:8080" "304" "Ambiguous" "UndefinedContentLengthSemantics"`,
			with(want2016, "matched_rule_priority", "1", "request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "forward",
				"target_port_list", "10.0.0.1:8080", "target_status_code_list", "304",
				"classification", "Ambiguous", "classification_reason", "UndefinedContentLengthSemantics")},
		{"2024 conn_trace_id", ` "-" "-" 1 2016-09-01T08:00:00.990000Z "forward" "-" "-" "10.0.0.1:8080" "304" "-" "-" TID_0123456789abcdef`,
			with(want2016, "matched_rule_priority", "1", "request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "forward",
				"target_port_list", "10.0.0.1:8080", "target_status_code_list", "304", "conn_trace_id", "TID_0123456789abcdef")},
		{"unknown trailing fields kept", ` "-" "-" 1 2016-09-01T08:00:00.990000Z "forward" "-" "-" "10.0.0.1:8080" "304" "-" "-" TID_1 "new field" 7 -`,
			with(want2016, "matched_rule_priority", "1", "request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "forward",
				"target_port_list", "10.0.0.1:8080", "target_status_code_list", "304", "conn_trace_id", "TID_1",
				"extra_fields", "new field 7 -")},
		{"missing space before matched_rule_priority", ` "-" "arn:aws:acm:us-east-1:123456789012:certificate/abcd"12 2016-09-01T08:00:00.990000Z "forward"`,
			with(want2016, "chosen_cert_arn", "arn:aws:acm:us-east-1:123456789012:certificate/abcd", "matched_rule_priority", "12",
				"request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "forward")},
		{"missing space after a dash", ` "-" "-"0 2016-09-01T08:00:00.990000Z "forward"`,
			with(want2016, "matched_rule_priority", "0", "request_creation_time", "2016-09-01T08:00:00.990000Z", "actions_executed", "forward")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := line2016 + c.tail
			same(t, line, decode(t, line), c.want)
		})
	}
}

// Every prefix of the fields after trace_id is a valid line, and the
// fields it has are exactly the ones stored.
func TestDecodeEveryPrefix(t *testing.T) {
	tail := []struct{ tok, key, val string }{
		{`"d.example.com"`, "domain_name", "d.example.com"},
		{`"arn:cert"`, "chosen_cert_arn", "arn:cert"},
		{`3`, "matched_rule_priority", "3"},
		{`2016-09-01T08:00:00.990000Z`, "request_creation_time", "2016-09-01T08:00:00.990000Z"},
		{`"forward"`, "actions_executed", "forward"},
		{`"https://r.example.com/"`, "redirect_url", "https://r.example.com/"},
		{`"LambdaUnhandled"`, "lambda_error_reason", "LambdaUnhandled"},
		{`"10.0.0.1:8080"`, "target_port_list", "10.0.0.1:8080"},
		{`"304"`, "target_status_code_list", "304"},
		{`"Acceptable"`, "classification", "Acceptable"},
		{`"SpaceInUri"`, "classification_reason", "SpaceInUri"},
		{`TID_abc`, "conn_trace_id", "TID_abc"},
	}
	// Lines cut before trace_id (down to user_agent) are accepted too.
	head := strings.TrimSuffix(line2016, ` "Root=1-57c7e0a1-0123"`)
	same(t, head, decode(t, head), with(want2016, "trace_id", ""))
	line := line2016
	want := maps.Clone(want2016)
	for _, f := range tail {
		line += " " + f.tok
		want[f.key] = f.val
		t.Run(f.key, func(t *testing.T) { same(t, line, decode(t, line), want) })
	}
}

func TestDecodeRequestTypes(t *testing.T) {
	for _, typ := range []string{"http", "https", "h2", "grpcs", "ws", "wss"} {
		line := typ + strings.TrimPrefix(line2016, "http")
		same(t, line, decode(t, line), with(want2016, "request_type", typ))
	}
}

func TestDecodeAddressesAndDashes(t *testing.T) {
	const pre = `https 2021-06-01T12:00:00.123456Z app/lb/1 `
	const post = ` "GET https://h:443/ HTTP/2.0" "ua"`
	req := kv("request", "GET https://h:443/ HTTP/2.0", "http_method", "GET", "http_url", "https://h:443/", "http_protocol", "https",
		"http_host", "h", "http_port", "443", "http_path", "/", "http_protocol_version", "HTTP/2.0", "http_version", "2.0", "useragent", "ua")
	base := with(req, "log_kind", "alb-access", "request_type", "https", "timestamp", "2021-06-01T12:00:00.123456Z", "elb", "app/lb/1")
	cases := []struct {
		name, mid string
		want      map[string]any
	}{
		{"IPv6 client, last colon is the port; bracketed IPv6 target",
			`2001:db8:1::25:51000 [2001:db8::7]:8443 0.001 0.010 0.000 200 200 512 1024`,
			with(base, "client_ip", "2001:db8:1::25", "client_port", "51000", "target_ip", "2001:db8::7", "target_port", "8443",
				"request_processing_time", "0.001", "target_processing_time", "0.010", "response_processing_time", "0.000",
				"elb_status_code", "200", "target_status_code", "200", "received_bytes", "512", "sent_bytes", "1024")},
		{"bracketed IPv6 client, unbracketed IPv6 target",
			`[2001:db8:1::25]:51000 2001:db8::7:8443 0.001 0.010 0.000 200 200 512 1024`,
			with(base, "client_ip", "2001:db8:1::25", "client_port", "51000", "target_ip", "2001:db8::7", "target_port", "8443",
				"request_processing_time", "0.001", "target_processing_time", "0.010", "response_processing_time", "0.000",
				"elb_status_code", "200", "target_status_code", "200", "received_bytes", "512", "sent_bytes", "1024")},
		{"no target, -1 timings, no target status",
			`192.0.2.1:40000 - -1 -1 -1 460 - 125 0`,
			with(base, "client_ip", "192.0.2.1", "client_port", "40000",
				"request_processing_time", "-1", "target_processing_time", "-1", "response_processing_time", "-1",
				"elb_status_code", "460", "received_bytes", "125", "sent_bytes", "0")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := pre + c.mid + post
			same(t, line, decode(t, line), c.want)
		})
	}
}

// TestRequestLine checks what is read from the quoted request line: exact
// request and http_* fields.
func TestRequestLine(t *testing.T) {
	cases := []struct {
		name, req string
		want      map[string]any
	}{
		{"normal", `GET https://example.com:443/path?q=1 HTTP/1.1`, kv(
			"http_method", "GET", "http_url", "https://example.com:443/path?q=1", "http_protocol", "https",
			"http_host", "example.com", "http_port", "443", "http_path", "/path", "http_query", "q=1",
			"http_protocol_version", "HTTP/1.1", "http_version", "1.1")},
		{"IPv6 host", `GET https://[::ffff:a9fe:a9fe]:443/latest/meta-data/ HTTP/1.1`, kv(
			"http_method", "GET", "http_url", "https://[::ffff:a9fe:a9fe]:443/latest/meta-data/", "http_protocol", "https",
			"http_host", "::ffff:a9fe:a9fe", "http_port", "443", "http_path", "/latest/meta-data/",
			"http_protocol_version", "HTTP/1.1", "http_version", "1.1")},
		{"SpaceInUri: the URL is everything between method and version", `GET http://host:80/a b c?d e HTTP/1.1`, kv(
			"http_method", "GET", "http_url", "http://host:80/a b c?d e", "http_protocol", "http",
			"http_host", "host", "http_port", "80", "http_path", "/a b c", "http_query", "d e",
			"http_protocol_version", "HTTP/1.1", "http_version", "1.1")},
		{"malformed: dash method and version, port with a dash", `- http://host:80- -`, kv(
			"http_url", "http://host:80-", "http_protocol", "http", "http_host", "host")},
		{"malformed: trailing space, no version", `- http://host:80-/ `, kv(
			"http_url", "http://host:80-/", "http_protocol", "http", "http_host", "host", "http_path", "/")},
		{"all dashes", `- - -`, kv()},
		{"all dashes with a trailing space", `- - - `, kv()},
		{"no version: the last word is part of the URL", `GET http://host:80/a b`, kv(
			"http_method", "GET", "http_url", "http://host:80/a b", "http_protocol", "http",
			"http_host", "host", "http_port", "80", "http_path", "/a b")},
		{"HTTP/2.0", `POST https://grpc.example.com:443/pkg.Svc/Call HTTP/2.0`, kv(
			"http_method", "POST", "http_url", "https://grpc.example.com:443/pkg.Svc/Call", "http_protocol", "https",
			"http_host", "grpc.example.com", "http_port", "443", "http_path", "/pkg.Svc/Call",
			"http_protocol_version", "HTTP/2.0", "http_version", "2.0")},
		{"no port, query without path", `GET http://host?a=b HTTP/1.0`, kv(
			"http_method", "GET", "http_url", "http://host?a=b", "http_protocol", "http", "http_host", "host",
			"http_query", "a=b", "http_protocol_version", "HTTP/1.0", "http_version", "1.0")},
		{"userinfo is not the host", `GET http://user:pw@host:8080/x HTTP/1.1`, kv(
			"http_method", "GET", "http_url", "http://user:pw@host:8080/x", "http_protocol", "http",
			"http_host", "host", "http_port", "8080", "http_path", "/x", "http_protocol_version", "HTTP/1.1", "http_version", "1.1")},
		{"origin-form path", `OPTIONS /x?y=1 HTTP/1.1`, kv(
			"http_method", "OPTIONS", "http_path", "/x", "http_query", "y=1", "http_protocol_version", "HTTP/1.1", "http_version", "1.1")},
		{"method only", `GET`, kv("http_method", "GET")},
		{"method and version only", `GET HTTP/1.1`, kv("http_method", "GET", "http_protocol_version", "HTTP/1.1", "http_version", "1.1")},
		{"not a URL", `GET foo HTTP/1.1`, kv("http_method", "GET", "http_protocol_version", "HTTP/1.1", "http_version", "1.1")},
		{"empty", ``, kv()},
		{"dash", `-`, kv()},
	}
	const pre = `http 2024-01-01T00:00:00.000000Z app/lb/1 192.0.2.1:1000 - -1 -1 -1 400 - 0 0 "`
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := pre + c.req + `" "-"`
			got := decode(t, line)
			sub := map[string]any{}
			for k, v := range got {
				if strings.HasPrefix(k, "http_") || k == "request" {
					sub[k] = v
				}
			}
			want := c.want
			if c.req != "" && c.req != "-" {
				want = with(want, "request", c.req)
			}
			same(t, line, sub, want)
		})
	}
}

func TestDecodeEscapedQuotes(t *testing.T) {
	line := `https 2025-05-01T11:24:32.748149Z app/lb/1 192.0.2.200:57273 10.0.0.7:80 0.001 0.002 0.000 200 200 120 272 "GET https://h:443/s?q=\"a b\" HTTP/1.1" "agent \"x\" \\ y" - - - "Root=1"`
	same(t, line, decode(t, line), kv(
		"log_kind", "alb-access", "request_type", "https", "timestamp", "2025-05-01T11:24:32.748149Z", "elb", "app/lb/1",
		"client_ip", "192.0.2.200", "client_port", "57273", "target_ip", "10.0.0.7", "target_port", "80",
		"request_processing_time", "0.001", "target_processing_time", "0.002", "response_processing_time", "0.000",
		"elb_status_code", "200", "target_status_code", "200", "received_bytes", "120", "sent_bytes", "272",
		"request", `GET https://h:443/s?q="a b" HTTP/1.1`, "http_method", "GET", "http_url", `https://h:443/s?q="a b"`,
		"http_protocol", "https", "http_host", "h", "http_port", "443", "http_path", "/s", "http_query", `q="a b"`,
		"http_protocol_version", "HTTP/1.1", "http_version", "1.1",
		"useragent", `agent "x" \ y`, "trace_id", "Root=1"))
}

func TestDecodeOtherKinds(t *testing.T) {
	cases := []struct {
		name, line string
		want       map[string]any
	}{
		{"ALB connection log with conn_trace_id",
			`2024-10-04T17:05:15.514108Z 192.0.2.39 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "CN=client.example.com,O=Example Corp,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Success TID_16132ed0b4112148`,
			kv("log_kind", "alb-connection", "timestamp", "2024-10-04T17:05:15.514108Z", "client_ip", "192.0.2.39", "client_port", "36280",
				"listener_port", "443", "tls_protocol", "TLSv1.2", "tls_cipher", "ECDHE-RSA-AES128-GCM-SHA256", "tls_handshake_latency", "4.036",
				"leaf_client_cert_subject", "CN=client.example.com,O=Example Corp,C=US",
				"leaf_client_cert_validity", "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z",
				"leaf_client_cert_serial_number", "FEF257372D5C14D4", "tls_verify_status", "Success", "conn_trace_id", "TID_16132ed0b4112148")},
		{"ALB connection log, older (no conn_trace_id), IPv6, failed verify",
			`2024-10-04T17:05:15.514108Z 2001:db8::39 36280 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - "-" - - Failed:ClientCertUntrusted`,
			kv("log_kind", "alb-connection", "timestamp", "2024-10-04T17:05:15.514108Z", "client_ip", "2001:db8::39", "client_port", "36280",
				"listener_port", "443", "tls_protocol", "TLSv1.3", "tls_cipher", "TLS_AES_128_GCM_SHA256", "tls_verify_status", "Failed:ClientCertUntrusted")},
		{"NLB TLS 2.0 with ALPN",
			`tls 2.0 2020-04-01T08:51:42 net/my-nlb/c6e77e28c25b2234 g3d4b5e8bb8464cd 192.0.2.39:2817 10.0.0.1:80 5 2 98 246 - arn:aws:acm:us-east-2:123456789012:certificate/2a108f19 - ECDHE-RSA-AES128-SHA tlsv12 - my-nlb.example.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20`,
			kv("log_kind", "nlb", "listener_type", "tls", "log_entry_version", "2.0", "timestamp", "2020-04-01T08:51:42", "elb", "net/my-nlb/c6e77e28c25b2234",
				"listener", "g3d4b5e8bb8464cd", "client_ip", "192.0.2.39", "client_port", "2817", "destination_ip", "10.0.0.1", "destination_port", "80",
				"connection_time", "5", "tls_handshake_time", "2", "received_bytes", "98", "sent_bytes", "246",
				"chosen_cert_arn", "arn:aws:acm:us-east-2:123456789012:certificate/2a108f19", "tls_cipher", "ECDHE-RSA-AES128-SHA",
				"tls_protocol_version", "tlsv12", "domain_name", "my-nlb.example.com", "alpn_fe_protocol", "h2", "alpn_be_protocol", "h2",
				"alpn_client_preference_list", `"h2","http/1.1"`, "tls_connection_creation_time", "2020-04-01T08:51:20")},
		{"NLB TLS 1.0 (shorter), bracketed IPv6 client, unbalanced quotes are data",
			`tls 1.0 2018-12-20T02:59:40 net/my-nlb/c6e77e28c25b2234 g3d4b5e8bb8464cd [2001:db8::39]:51341 10.0.0.1:443 5 - 98 246 - - - - - - \"x`,
			kv("log_kind", "nlb", "listener_type", "tls", "log_entry_version", "1.0", "timestamp", "2018-12-20T02:59:40", "elb", "net/my-nlb/c6e77e28c25b2234",
				"listener", "g3d4b5e8bb8464cd", "client_ip", "2001:db8::39", "client_port", "51341", "destination_ip", "10.0.0.1", "destination_port", "443",
				"connection_time", "5", "received_bytes", "98", "sent_bytes", "246", "domain_name", `\"x`)},
		{"Classic Load Balancer HTTP listener",
			`2015-05-13T23:39:43.945958Z my-loadbalancer 192.0.2.168:10138 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -`,
			kv("log_kind", "clb", "timestamp", "2015-05-13T23:39:43.945958Z", "elb", "my-loadbalancer", "client_ip", "192.0.2.168", "client_port", "10138",
				"target_ip", "10.0.0.1", "target_port", "80", "request_processing_time", "0.000073", "target_processing_time", "0.001048",
				"response_processing_time", "0.000057", "elb_status_code", "200", "target_status_code", "200", "received_bytes", "0", "sent_bytes", "29",
				"request", "GET http://www.example.com:80/ HTTP/1.1", "http_method", "GET", "http_url", "http://www.example.com:80/", "http_protocol", "http",
				"http_host", "www.example.com", "http_port", "80", "http_path", "/", "http_protocol_version", "HTTP/1.1", "http_version", "1.1",
				"useragent", "curl/7.38.0")},
		{"Classic Load Balancer TCP/SSL listener",
			`2015-05-13T23:39:43.945958Z my-loadbalancer 192.0.2.168:10139 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2`,
			kv("log_kind", "clb", "timestamp", "2015-05-13T23:39:43.945958Z", "elb", "my-loadbalancer", "client_ip", "192.0.2.168", "client_port", "10139",
				"target_ip", "10.0.0.1", "target_port", "80", "request_processing_time", "0.001065", "target_processing_time", "0.000015",
				"response_processing_time", "0.000023", "received_bytes", "57", "sent_bytes", "502", "request", "- - - ",
				"ssl_cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "ssl_protocol", "TLSv1.2")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { same(t, c.line, decode(t, c.line), c.want) })
	}
}

func TestDecodeRejects(t *testing.T) {
	const ok = `http 2024-01-01T00:00:00Z app/lb/x 192.0.2.1:80 - 0 0 0 200 200 1 1 "GET http://a:80/ HTTP/1.1" "-"`
	if _, err := alb.Decode([]byte(ok)); err != nil {
		t.Fatalf("baseline line rejected: %v", err)
	}
	cases := []struct{ line, err string }{
		{``, "empty line"},
		{`   `, "empty line"},
		{strings.Replace(ok, "192.0.2.1:80", "x", 1), `field 4 (client:port): want ip:port, got "x"`},
		{strings.Replace(ok, "192.0.2.1:80", "192.0.2.1", 1), `field 4 (client:port): want ip:port, got "192.0.2.1"`},
		{strings.Replace(ok, "192.0.2.1:80", "192.0.2.1:99999", 1), `field 4 (client:port): want ip:port, got "192.0.2.1:99999"`},
		{strings.Replace(ok, "192.0.2.1:80", "notanip:80", 1), `field 4 (client:port): want ip:port, got "notanip:80"`},
		{strings.Replace(ok, " - 0", " 10.0.0.1 0", 1), `field 5 (target:port): want ip:port or -, got "10.0.0.1"`},
		{strings.Replace(ok, "2024-01-01T00:00:00Z", "yesterday", 1), `field 2 (time): want an RFC 3339 timestamp, got "yesterday"`},
		{strings.Replace(ok, "2024-01-01T00:00:00Z", "2024-13-01T00:00:00Z", 1), `field 2 (time)`},
		{strings.Replace(ok, "2024-01-01T00:00:00Z", "2024-01-01 00:00:00Z", 1), `field 2 (time)`},
		{strings.Replace(ok, " 0 0 0 200", " 0 fast 0 200", 1), `field 7 (target_processing_time): want a number or -, got "fast"`},
		{strings.Replace(ok, "200 200", "OK 200", 1), `field 9 (elb_status_code): want a status code or -, got "OK"`},
		{strings.Replace(ok, "200 200", "200 2.5", 1), `field 10 (target_status_code): want a status code or -, got "2.5"`},
		{strings.Replace(ok, "200 1 1", "200 -1 1", 1), `field 11 (received_bytes): want a byte count or -, got "-1"`},
		{strings.TrimSuffix(ok, `"-"`) + `"-`, `field 14 (user_agent): quote opened at column`},
		{strings.TrimSuffix(ok, `" "-"`), `field 13 (request): quote opened at column 69 is never closed`},
		{strings.Replace(ok, `"GET http://a:80/ HTTP/1.1"`, `GET`, 1), `field 13 (request): want a quoted request line, got "GET"`},
		{strings.TrimSuffix(ok, ` "-"`), `ALB access log line has 13 fields, want at least 14`},
		{`http 2024-01-01T00:00:00Z app/lb/x 192.0.2.1:80`, `ALB access log line has 4 fields, want at least 14`},
		{strings.Replace(ok, "http ", "HTTP ", 1), `field 1 (type): want a request type`},
		{`{"Records":[]}`, `field 1 (type): want a request type`},
		{`2024-10-04T17:05:15Z 192.0.2.39 port 443 TLSv1.2 c 1 "-" - - Success`, `field 3 (client_port): want a port number, got "port"`},
		{`2024-10-04T17:05:15Z 192.0.2.39 1 443 TLSv1.2 c slow "-" - - Success`, `field 7 (tls_handshake_latency): want a number or -, got "slow"`},
		{`2024-10-04T17:05:15Z 192.0.2.39 1 443 TLSv1.2 c 1 "CN=x - - Success`, `field 8 (leaf_client_cert_subject): quote opened at column`},
		{`2024-10-04T17:05:15Z 192.0.2.39 1 443`, `ALB connection log line has 4 fields, want at least 11`},
		{`20240101 192.0.2.39 1 443`, `field 1 (time): want an RFC 3339 timestamp, got "20240101"`},
		{`2015-05-13T23:39:43Z lb 192.0.2.1 10.0.0.1:80 0 0 0 200 200 0 29 "GET / HTTP/1.1" "-" - -`, `field 3 (client:port): want ip:port, got "192.0.2.1"`},
		{`2015-05-13T23:39:43Z lb 192.0.2.1:5 10.0.0.1:80 0 0 0 200`, `Classic Load Balancer line has 8 fields, want at least 12`},
		{`tls 2.0 2020-04-01T08:51:42 net/n/1 l 192.0.2.39 10.0.0.1:80 5 2 98 246`, `field 6 (client:port): want ip:port, got "192.0.2.39"`},
		{`tls 2.0 2020-04-01T08:51:42 net/n/1 l 192.0.2.39:1 10.0.0.1:80 5 2 lots 246`, `field 10 (received_bytes): want a number or -, got "lots"`},
		{`tls x 2020-04-01T08:51:42 net/n/1 l 192.0.2.39:1 10.0.0.1:80 5 2 98 246`, `field 2 (version)`},
		{`tls 2.0 then 2020-04-01T08:51:42`, `field 3 (time)`},
		{`tls 2.0 2020-04-01T08:51:42 net/n/1`, `NLB TLS log line has 4 fields, want at least 11`},
	}
	for _, c := range cases {
		m, err := alb.Decode([]byte(c.line))
		if err == nil {
			t.Errorf("accepted %q: %v", c.line, m)
			continue
		}
		if !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q:\n  error %q\n  want  %q", c.line, err, c.err)
		}
	}
}

// Unknown request types load (AWS lists types "ignore any other values"
// of; the rest of the line is still checked field by field).
func TestDecodeFutureRequestType(t *testing.T) {
	line := "h3" + strings.TrimPrefix(line2016, "http")
	same(t, line, decode(t, line), with(want2016, "request_type", "h3"))
}

// The decoder copies its input: the caller may reuse the buffer.
func TestDecodeDoesNotRetainInput(t *testing.T) {
	raw := []byte(line2016 + ` "d" "c" 1 2016-09-01T08:00:00.990000Z "forward" "-" "-" "10.0.0.1:8080" "304" "-" "-" TID_1 "x y"`)
	m, err := alb.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := make(map[string]string, len(m))
	for k, v := range m {
		snapshot[k] = v.(string)
	}
	for i := range raw {
		raw[i] = 'X'
	}
	for k, v := range m {
		if v.(string) != snapshot[k] {
			t.Errorf("%s changed with the input buffer: %q", k, v)
		}
	}
}

// Values are ordinary strings: type switches, comparisons and map keys
// behave as for any converted string.
func TestDecodeValuesAreStrings(t *testing.T) {
	m := decode(t, line2016)
	for k, v := range m {
		s, ok := v.(string)
		if !ok || s == "" || s == "-" {
			t.Errorf("%s = %#v", k, v)
		}
		switch v := v.(type) {
		case string:
			if v != s {
				t.Errorf("%s: type switch gave %q, assertion %q", k, v, s)
			}
		default:
			t.Errorf("%s: %T", k, v)
		}
	}
	if m["http_method"] != any("GET") || m["elb_status_code"] != any("304") {
		t.Errorf("interface comparison failed: %v %v", m["http_method"], m["elb_status_code"])
	}
	set := map[any]bool{m["http_method"]: true}
	if !set["GET"] {
		t.Error("value does not hash like the string it holds")
	}
}

// Values stay intact through garbage collections while only the maps are
// referenced (each value points into one backing array per record).
func TestDecodeValuesSurviveGC(t *testing.T) {
	lines := []string{line2016, line2016 + ` "d" "c" 1 2016-09-01T08:00:00.990000Z "forward" "-" "-" "10.0.0.1:8080" "304" "-" "-" TID_1 "x y" z`}
	want := make([]map[string]string, len(lines))
	for i, l := range lines {
		want[i] = map[string]string{}
		for k, v := range decode(t, l) {
			want[i][k] = strings.Clone(v.(string))
		}
	}
	var kept []map[string]any
	for i := 0; i < 2000; i++ {
		raw := []byte(lines[i%len(lines)])
		m, err := alb.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, m)
		_ = make([]byte, 4096) // garbage between records
	}
	runtime.GC()
	runtime.GC()
	for i, m := range kept {
		w := want[i%len(lines)]
		if len(m) != len(w) {
			t.Fatalf("record %d: %d fields, want %d", i, len(m), len(w))
		}
		for k, v := range m {
			if v.(string) != w[k] {
				t.Fatalf("record %d: %s = %q, want %q", i, k, v, w[k])
			}
		}
	}
}
