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
// Ports are hashed for TCP, UDP and SCTP; ok is false for an unparsable
// address, mixed IPv4/IPv6, or ICMP (whose type/code pairing this does not
// do), rather than giving a hash no other tool would.
func CommunityID(src, dst string, srcPort, dstPort int, proto int) (string, bool) {
	s, err1 := netip.ParseAddr(src)
	d, err2 := netip.ParseAddr(dst)
	if err1 != nil || err2 != nil || s.Is4() != d.Is4() || proto < 0 || proto > 255 || proto == 1 || proto == 58 {
		return "", false
	}
	s, d = s.Unmap(), d.Unmap()
	ports := proto == 6 || proto == 17 || proto == 132
	if ports && (srcPort < 0 || srcPort > 65535 || dstPort < 0 || dstPort > 65535) {
		return "", false
	}
	sb, db := s.AsSlice(), d.AsSlice()
	// The lower endpoint goes first, so both directions hash alike.
	if c := bytes.Compare(sb, db); c > 0 || c == 0 && ports && srcPort > dstPort {
		sb, db = db, sb
		srcPort, dstPort = dstPort, srcPort
	}
	buf := make([]byte, 0, 2+32+2+4)
	buf = append(buf, 0, 0) // seed
	buf = append(buf, sb...)
	buf = append(buf, db...)
	buf = append(buf, byte(proto), 0)
	if ports {
		buf = binary.BigEndian.AppendUint16(buf, uint16(srcPort))
		buf = binary.BigEndian.AppendUint16(buf, uint16(dstPort))
	}
	sum := sha1.Sum(buf)
	return "1:" + base64.StdEncoding.EncodeToString(sum[:]), true
}

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
