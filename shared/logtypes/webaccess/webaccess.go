// Package webaccess holds what the Apache and NGINX access log types
// share: reading the request line into url.* and http.* fields, the site
// from the key, the instance from the log stream.
package webaccess

import (
	"net"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
)

var siteName = regexp.MustCompile(`/web-site-name=([^/]*)/`)

func init() { logtype.RegisterTransform("web-access", Transform) }

// Transform is the access logs' transform (reference sf_apache/sf_nginx).
func Transform(d map[string]any, r *logtype.Result) error {
	if m := siteName.FindStringSubmatch(doc.GetString(d, "@log_s3key")); m != nil && m[1] != "" {
		doc.Set(d, "service.name", m[1])
	}
	if id := ecs.EC2InstanceID(doc.GetString(d, "@log_stream")); id != "" {
		doc.Set(d, "cloud.instance.id", id)
		doc.Set(d, "related.hosts", []any{id})
	}
	request(d)
	if xff := doc.GetString(d, "xff"); xff != "" && xff != "-" {
		var chain []any
		for _, p := range strings.FieldsFunc(xff, func(r rune) bool { return r == ',' || r == ' ' }) {
			chain = append(chain, p)
		}
		if len(chain) > 0 {
			doc.Set(d, "http.request.header.x_forwarded_for", chain)
		}
	}
	if ip := doc.GetString(d, "source.ip"); ip != "" {
		doc.Set(d, "related.ip", []any{ip})
	}
	if u := doc.GetString(d, "user.name"); u != "" {
		doc.Set(d, "related.user", []any{u})
	}
	ecs.SetHTTPOutcome(d)
	return nil
}

// request reads the request target: an origin path ("/a/b.php?x=1#f"),
// an absolute URI (proxies) or CONNECT's host:port.
func request(d map[string]any) {
	target := doc.GetString(d, "request_path")
	if target == "" {
		return
	}
	if doc.GetString(d, "request_method") == "CONNECT" {
		if host, port, err := net.SplitHostPort(target); err == nil {
			doc.Set(d, "url.domain", host)
			if p, err := strconv.Atoi(port); err == nil {
				doc.Set(d, "url.port", p)
			}
		}
		return
	}
	if strings.Contains(target, "://") {
		if u, err := url.Parse(target); err == nil {
			doc.Set(d, "url.scheme", u.Scheme)
			doc.Set(d, "url.domain", u.Hostname())
			if p, err := strconv.Atoi(u.Port()); err == nil {
				doc.Set(d, "url.port", p)
			}
			target = u.RequestURI()
			if u.Fragment != "" {
				target += "#" + u.Fragment
			}
		}
	}
	rest, fragment, hasFragment := strings.Cut(target, "#")
	p, query, _ := strings.Cut(rest, "?")
	// Double-encoded paths ("%252e%252e") are decoded twice: attacks
	// hide behind them.
	for i := 0; i < 2; i++ {
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
	}
	doc.Set(d, "url.path", p)
	if query != "" {
		doc.Set(d, "url.query", query)
	}
	if hasFragment && fragment != "" && !strings.ContainsAny(fragment, "&(){}@_;<> \t") {
		doc.Set(d, "url.fragment", fragment)
	}
	if ext := path.Ext(path.Base(p)); len(ext) > 1 && !strings.Contains(ext, `\`) {
		doc.Set(d, "url.extension", strings.ToLower(ext[1:]))
	}
}
