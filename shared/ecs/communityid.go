package ecs

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// CommunityID returns the Community ID flow hash, version 1 with seed 0
// (https://github.com/corelight/community-id-spec), of a flow between two
// addresses with IANA protocol number proto, as ECS network.community_id.
// Ports are hashed for TCP, UDP and SCTP; for ICMP and ICMPv6 srcPort and
// dstPort are the message type and code, paired as the spec says (an echo
// request and its reply hash alike). ok is false for an unparsable
// address or mixed IPv4/IPv6.
func CommunityID(src, dst string, srcPort, dstPort int, proto int) (string, bool) {
	s, err1 := netip.ParseAddr(src)
	d, err2 := netip.ParseAddr(dst)
	if err1 != nil || err2 != nil {
		return "", false
	}
	return CommunityIDAddrs(s, d, srcPort, dstPort, proto)
}

// CommunityIDAddrs is CommunityID of addresses already parsed, for a
// caller that needs them for more than the hash (vpcflow's network.type).
// A zero Addr is not valid, and gives false.
func CommunityIDAddrs(s, d netip.Addr, srcPort, dstPort int, proto int) (string, bool) {
	if !s.IsValid() || !d.IsValid() || proto < 0 || proto > 255 {
		return "", false
	}
	s, d = s.Unmap(), d.Unmap()
	if s.Is4() != d.Is4() {
		return "", false
	}
	icmp := proto == 1 || proto == 58
	ports := icmp || proto == 6 || proto == 17 || proto == 132
	if ports && (srcPort < 0 || srcPort > 65535 || dstPort < 0 || dstPort > 65535) {
		return "", false
	}
	oneWay := false
	if icmp {
		pairs := icmp4Pairs
		if proto == 58 {
			pairs = icmp6Pairs
		}
		if other, ok := pairs[srcPort]; ok {
			dstPort = other
		} else {
			oneWay = true
		}
	}
	// As16 into arrays rather than AsSlice, which allocates both.
	sa, da := s.As16(), d.As16()
	sb, db := sa[:], da[:]
	if s.Is4() {
		sb, db = sa[12:], da[12:]
	}
	// The lower endpoint goes first, so both directions hash alike.
	if c := bytes.Compare(sb, db); !oneWay && (c > 0 || c == 0 && ports && srcPort > dstPort) {
		sb, db = db, sb
		srcPort, dstPort = dstPort, srcPort
	}
	var arr [2 + 32 + 2 + 4]byte
	buf := append(arr[:0], 0, 0) // seed
	buf = append(buf, sb...)
	buf = append(buf, db...)
	buf = append(buf, byte(proto), 0)
	if ports {
		buf = binary.BigEndian.AppendUint16(buf, uint16(srcPort))
		buf = binary.BigEndian.AppendUint16(buf, uint16(dstPort))
	}
	sum := sha1.Sum(buf)
	var out [2 + 28]byte // "1:" + base64 of 20 bytes
	out[0], out[1] = '1', ':'
	base64.StdEncoding.Encode(out[2:], sum[:])
	return string(out[:]), true
}

// ICMP message types and their counterparts (request and reply).
var (
	icmp4Pairs = map[int]int{8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
	icmp6Pairs = map[int]int{128: 129, 129: 128, 133: 134, 134: 133, 130: 131, 131: 130, 144: 145, 145: 144, 146: 147, 147: 146}
)

// IANAProtocol is the protocol number of a transport name (tcp, udp,
// sctp, icmp, ipv6-icmp), or -1.
func IANAProtocol(name string) int {
	switch name {
	case "tcp", "TCP":
		return 6
	case "udp", "UDP":
		return 17
	case "sctp", "SCTP":
		return 132
	case "icmp", "ICMP":
		return 1
	case "ipv6-icmp", "icmpv6", "IPv6-ICMP", "ICMPv6":
		return 58
	}
	return -1
}
