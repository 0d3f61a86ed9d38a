package ecs

import (
	"regexp"
	"strings"

	"github.com/siemloader/siem/shared/doc"
)

// SetHTTPOutcome sets event.outcome from http.response.status_code:
// success below 400, failure from 400 on.
func SetHTTPOutcome(d map[string]any) {
	v, ok := doc.Get(d, "http.response.status_code")
	if !ok {
		return
	}
	code, ok := v.(int64)
	if !ok {
		return
	}
	if code < 400 {
		doc.Set(d, "event.outcome", "success")
	} else {
		doc.Set(d, "event.outcome", "failure")
	}
}

// SetTLSVersion writes tls.version_protocol and tls.version from the way
// AWS logs write the protocol: "TLSv1.2", "TLSV1.3" or "tlsv12".
func SetTLSVersion(d map[string]any, proto string) {
	if len(proto) <= 4 || !strings.EqualFold(proto[:4], "tlsv") {
		return
	}
	v := strings.ToLower(proto[4:])
	if !strings.Contains(v, ".") && len(v) == 2 {
		v = v[:1] + "." + v[1:]
	}
	doc.Set(d, "tls.version_protocol", "tls")
	if b, ok := tlsVersions[v]; ok {
		doc.Set(d, "tls.version", b)
		return
	}
	doc.Set(d, "tls.version", v)
}

// tlsVersions are the versions logs name, boxed once: most HTTPS records
// carry one, and each would box its own copy.
var tlsVersions = map[string]any{"1.0": "1.0", "1.1": "1.1", "1.2": "1.2", "1.3": "1.3"}

// ShortenUserName turns an ARN in user.name into the name it ends with
// (arn:aws:sts::1:assumed-role/Admin/alice -> alice).
func ShortenUserName(d map[string]any) {
	name := doc.GetString(d, "user.name")
	if !strings.Contains(name, ":") {
		return
	}
	name = name[strings.LastIndex(name, ":")+1:]
	doc.Set(d, "user.name", name[strings.LastIndex(name, "/")+1:])
}

// SwapSourceDestination exchanges source.* and destination.*: findings
// written from the monitored host's side name the remote end "remote",
// and an outbound connection's remote end is its destination.
func SwapSourceDestination(d map[string]any) {
	src, hasSrc := d["source"]
	dst, hasDst := d["destination"]
	delete(d, "source")
	delete(d, "destination")
	if hasDst {
		d["source"] = dst
	}
	if hasSrc {
		d["destination"] = src
	}
}

// ec2InstanceID finds an instance id in a name ("i-0123456789abcdef0_Security",
// "ip-10-0-1-15/i-0123abcd").
var ec2InstanceID = regexp.MustCompile(`(?:^|[^0-9a-z])(i-(?:[0-9a-z]{17}|[0-9a-z]{8}))(?:[^0-9a-z]|$)`)

// EC2InstanceID returns the EC2 instance id a CloudWatch Logs stream name
// holds (agents name streams after the instance), or "".
func EC2InstanceID(logStream string) string {
	if m := ec2InstanceID.FindStringSubmatch(logStream); m != nil {
		return m[1]
	}
	return ""
}
