// Package vpcflow registers the VPC Flow Logs log type: space-separated text
// whose header line names the fields (any custom format, versions 2-5, and
// Transit Gateway flow logs).
package vpcflow

import (
	_ "embed"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.RegisterTransform("vpcflowlogs", Transform)
	logtype.RegisterYAML(definition)
}

// IANA protocol numbers the reference names, as interfaces (setting one
// boxes nothing).
var transports = map[string]any{
	"1": "icmp", "6": "tcp", "8": "egp", "17": "udp", "33": "dccp",
	"41": "ipv6", "42": "sdrp", "47": "gre", "58": "ipv6-icmp", "132": "sctp",
}

// Transform sets the outcome and transport and marks Transit Gateway
// records (reference sf_vpcflowlogs).
func Transform(d map[string]any) error {
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
	if t := doc.GetString(d, "network.type"); t != "" {
		doc.Set(d, "network.type", lower(t))
	}
	if dir := doc.GetString(d, "network.direction"); dir != "" {
		// ECS expects ingress/egress for interface-relative directions.
		doc.Set(d, "network.direction", strings.ToLower(dir))
	}
	return nil
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
