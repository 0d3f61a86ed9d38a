// Package vpcflow registers the VPC Flow Logs log type: space-separated text
// whose header line names the fields (any custom format, versions 2-5, and
// Transit Gateway flow logs).
package vpcflow

import (
	_ "embed"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/normalize"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

// IANA protocol numbers the reference names, as interfaces (setting one
// boxes nothing).
var transports = map[string]any{
	"1": "icmp", "6": "tcp", "8": "egp", "17": "udp", "33": "dccp",
	"41": "ipv6", "42": "sdrp", "47": "gre", "58": "ipv6-icmp", "132": "sctp",
}

// Transform sets the outcome and transport and marks Transit Gateway
// records (reference sf_vpcflowlogs).
func Transform(d map[string]any, r *logtype.Result) error {
	if doc.Present(d["resource_type"]) || doc.Present(d["tgw_id"]) {
		d["@log_type"] = "transit-gateway"
	}
	action := doc.GetString(d, "event.action")
	switch {
	case strings.Contains(action, "ACCEPT"):
		doc.Set(d, "event.outcome", "success")
	case strings.Contains(action, "REJECT"):
		doc.Set(d, "event.outcome", "failure")
	default:
		doc.Set(d, "event.outcome", "unknown")
	}
	if t, ok := transports[doc.GetString(d, "protocol")]; ok {
		doc.Set(d, "network.transport", t)
	}
	// Parsed once, for network.type and for the Community ID.
	src, srcErr := netip.ParseAddr(doc.GetString(d, "srcaddr"))
	if t := doc.GetString(d, "network.type"); t != "" {
		doc.Set(d, "network.type", lower(t))
	} else if srcErr == nil {
		// Formats without the type field: the address family says it.
		if src.Unmap().Is4() {
			doc.Set(d, "network.type", ipv4)
		} else {
			doc.Set(d, "network.type", ipv6)
		}
	}
	// The capture window of the flow (epoch seconds).
	for _, f := range [...][2]string{{"start", "event.start"}, {"end", "event.end"}} {
		if sec, err := strconv.ParseInt(text(d, f[0]), 10, 64); err == nil && sec > 0 {
			doc.Set(d, f[1], normalize.TimeValue(time.Unix(sec, 0)))
		}
	}
	dst, _ := netip.ParseAddr(doc.GetString(d, "dstaddr")) // the zero Addr on error: no ID
	if id, ok := ecs.CommunityIDAddrs(src, dst,
		atoi(text(d, "srcport")), atoi(text(d, "dstport")), atoi(text(d, "protocol"))); ok {
		doc.Set(d, "network.community_id", id)
	}
	if dir := doc.GetString(d, "network.direction"); dir != "" {
		// ECS expects ingress/egress for interface-relative directions.
		doc.Set(d, "network.direction", strings.ToLower(dir))
	}
	return nil
}

var ipv4, ipv6 any = "ipv4", "ipv6"

// text is a raw field as text: a string (text logs) or a number (Parquet).
func text(d map[string]any, k string) string {
	switch t := d[k].(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	}
	return ""
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// lower is strings.ToLower without an allocation for the values AWS
// writes (IPv4, IPv6, EFA).
func lower(s string) any {
	switch s {
	case "IPv4":
		return "ipv4"
	case "IPv6":
		return "ipv6"
	case "EFA":
		return "efa"
	}
	return strings.ToLower(s)
}
