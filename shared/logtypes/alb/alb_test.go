package alb_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/alb"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) {
	golden.Run(t, "alb", "testdata", func(file string) string {
		return "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/15/123456789012_elasticloadbalancing_us-east-1_app.my-loadbalancer.50dc6c495c0c9188_20240115T0000Z_192.0.2.1_" + file + ".log.gz"
	})
}

func TestDecodeVariants(t *testing.T) {
	cases := []struct {
		line string
		want map[string]string
	}{
		{`http 2018-11-30T22:23:00.186641Z app/lb/1 192.0.2.44:2817 - -1 -1 -1 400 - 0 0 "- - -" "-" - - - "-" "-" "-" 0 2018-11-30T22:22:48.364000Z "-" "-" "-"`,
			map[string]string{"http_method": "", "http_host": "", "request": "- - -", "target_ip": "", "elb_status_code": "400", "target_status_code": "", "matched_rule_priority": "0"}},
		{`http 2022-05-12T06:41:29.051646Z app/lb/1 203.0.113.200:41542 - -1 -1 -1 301 - 233 390 "GET http://192.0.2.1:80/a b?c=d e HTTP/1.1" "x"`,
			map[string]string{"http_method": "GET", "http_host": "192.0.2.1", "http_port": "80", "http_path": "/a b", "http_query": "c=d e", "http_version": "1.1"}},
		{`https 2021-06-01T12:00:00.123456Z app/lb/1 2001:db8:1::25:51000 [2001:db8::7]:8443 0 0 0 200 200 1 1 "GET https://[2001:db8::10]:443/h HTTP/2.0" "x"`,
			map[string]string{"client_ip": "2001:db8:1::25", "client_port": "51000", "target_ip": "2001:db8::7", "target_port": "8443", "http_host": "2001:db8::10", "http_port": "443", "http_version": "2.0"}},
		{`wss 2019-02-05T09:00:00.000000Z app/lb/1 198.51.100.90:44244 10.0.0.171:8010 0 0 0 101 101 1 1 "GET https://h:443/ HTTP/1.1" "-" c p arn "Root" "-" "-"1 2019-02-05T08:59:59.364000Z "forward"`,
			map[string]string{"matched_rule_priority": "1", "request_creation_time": "2019-02-05T08:59:59.364000Z", "actions_executed": "forward"}},
		{`http 2025-05-01T11:24:32.748149Z app/lb/1 127.0.0.1:57273 - -1 -1 -1 200 - 0 272 "- http://internal.example.com:80-/ " "-" - - - "-" "-" "-" - 2025-05-01T11:24:32.720000Z "-" "-" "-" "-" "-" "-" "-" TID_0`,
			map[string]string{"http_method": "", "http_host": "internal.example.com", "http_port": "", "conn_trace_id": "TID_0"}},
		{`https 2025-05-01T11:24:32.748149Z app/lb/1 192.0.2.200:57273 10.0.0.7:80 0 0 0 200 200 1 1 "GET https://h:443/ HTTP/1.1" "agent \"q\""`,
			map[string]string{"useragent": `agent "q"`}},
	}
	for _, c := range cases {
		got, err := alb.Decode([]byte(c.line))
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		for k, want := range c.want {
			v, _ := got[k].(string)
			if v != want {
				t.Errorf("%s\n  %s = %q, want %q", c.line, k, v, want)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, line := range []string{
		``,
		`http 2024-01-01T00:00:00Z app/lb/x notanip:80 - 0 0 0 200 200 1 1 "GET http://a:80/ HTTP/1.1" "-"`,
		`http yesterday app/lb/x 192.0.2.1:80 - 0 0 0 200 200 1 1 "GET http://a:80/ HTTP/1.1" "-"`,
		`http 2024-01-01T00:00:00Z app/lb/x 192.0.2.1:80 - 0 0 0 OK 200 1 1 "GET http://a:80/ HTTP/1.1" "-"`,
		`http 2024-01-01T00:00:00Z app/lb/x 192.0.2.1:80 - 0 0 0 200 200 1 1 "GET http://a:80/ HTTP/1.1`,
		`ftp 2024-01-01T00:00:00Z app/lb/x 192.0.2.1:80 - 0 0 0 200 200 1 1 "GET http://a:80/ HTTP/1.1" "-"`,
		`http 2024-01-01T00:00:00Z app/lb/x 192.0.2.1:80`,
	} {
		if _, err := alb.Decode([]byte(line)); err == nil {
			t.Errorf("accepted %q", line)
		}
	}
}
