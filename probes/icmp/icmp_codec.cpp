#include "probes/icmp/icmp_codec.hpp"

#include <cstring>
#include <string>

namespace circuitd::icmp {
namespace {

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
std::uint64_t get64(const std::uint8_t* p) {
  return (std::uint64_t{get32(p)} << 32) | get32(p + 4);
}
void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}
void put64(std::uint8_t* p, std::uint64_t v) {
  put32(p, static_cast<std::uint32_t>(v >> 32));
  put32(p + 4, static_cast<std::uint32_t>(v));
}

const char* familyName(Family f) { return f == Family::V4 ? "ICMPv4" : "ICMPv6"; }

// Where the ICMP message starts: after the IPv4 header (IHL words) for raw IPv4 sockets.
Result<std::span<const std::uint8_t>> stripIpv4(std::span<const std::uint8_t> pkt) {
  if (pkt.size() < 20)
    return fail("IPv4 header", "truncated: " + std::to_string(pkt.size()) + " bytes");
  if ((pkt[0] >> 4) != 4) return fail("IPv4 header", "version is not 4");
  const std::size_t ihl = std::size_t{pkt[0] & 0x0fu} * 4;
  if (ihl < 20 || ihl > pkt.size())
    return fail("IPv4 header", "bad header length " + std::to_string(ihl));
  if (pkt[9] != 1)
    return fail("IPv4 header", "protocol " + std::to_string(pkt[9]) + " is not ICMP");
  std::size_t total = get16(pkt.data() + 2);
  if (total < ihl) return fail("IPv4 header", "total length shorter than header");
  // The kernel may hand over trailing link padding; trust the IP length when it is shorter.
  if (total > pkt.size())
    return fail("IPv4 header", "truncated: total length " + std::to_string(total) + " > " +
                                   std::to_string(pkt.size()) + " bytes received");
  return pkt.subspan(ihl, total - ihl);
}

bool readPayload(std::span<const std::uint8_t> payload, IcmpMessage& m) {
  if (payload.size() < kMinPayload || get32(payload.data()) != kPayloadMagic) return false;
  m.token = get32(payload.data() + 4);
  m.send_ns = get64(payload.data() + 8);
  m.has_payload = true;
  return true;
}

// An ICMP error quotes the offending datagram: its IP header and at least 8 bytes of our echo
// request (RFC 792; RFC 4443 2.4(c) quotes as much as fits). Recover identifier and sequence.
Result<IcmpMessage> decodeQuoted(Family f, std::span<const std::uint8_t> icmp, IcmpMessage m) {
  auto quoted = icmp.subspan(kEchoHeaderSize);
  if (f == Family::V4) {
    if (quoted.size() < 20) return fail("quoted datagram", "truncated IPv4 header");
    const std::size_t ihl = std::size_t{quoted[0] & 0x0fu} * 4;
    if ((quoted[0] >> 4) != 4 || ihl < 20 || quoted.size() < ihl + kEchoHeaderSize) {
      return fail("quoted datagram", "truncated or malformed IPv4 header");
    }
    if (quoted[9] != 1) return fail("quoted datagram", "not an ICMP datagram");
    quoted = quoted.subspan(ihl);
    if (quoted[0] != kV4EchoRequest) return fail("quoted datagram", "not an echo request");
  } else {
    // Extension headers are not followed: circuitd's requests carry none.
    if (quoted.size() < 40 + kEchoHeaderSize)
      return fail("quoted datagram", "truncated IPv6 header");
    if ((quoted[0] >> 4) != 6 || quoted[6] != 58)
      return fail("quoted datagram", "not an ICMPv6 datagram");
    quoted = quoted.subspan(40);
    if (quoted[0] != kV6EchoRequest) return fail("quoted datagram", "not an echo request");
  }
  m.identifier = get16(quoted.data() + 4);
  m.sequence = get16(quoted.data() + 6);
  readPayload(quoted.subspan(kEchoHeaderSize), m);
  return m;
}

}  // namespace

std::uint16_t internetChecksum(std::span<const std::uint8_t> data) {
  std::uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += get16(data.data() + i);
  if (i < data.size()) sum += std::uint32_t{data[i]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::size_t encodeEchoRequest(const EchoRequest& r, std::span<std::uint8_t> out) {
  const std::size_t len = kEchoHeaderSize + r.payload_size;
  if (r.payload_size < kMinPayload || out.size() < len) return 0;
  std::uint8_t* p = out.data();
  p[0] = r.family == Family::V4 ? kV4EchoRequest : kV6EchoRequest;
  p[1] = 0;
  put16(p + 2, 0);
  put16(p + 4, r.identifier);
  put16(p + 6, r.sequence);
  put32(p + 8, kPayloadMagic);
  put32(p + 12, r.token);
  put64(p + 16, r.send_ns);
  // Fill the rest with a fixed pattern (as ping does) so that any corruption is visible.
  for (std::size_t i = kEchoHeaderSize + kMinPayload; i < len; ++i) {
    p[i] = static_cast<std::uint8_t>(i);
  }
  if (r.family == Family::V4) put16(p + 2, internetChecksum({p, len}));
  return len;
}

Result<IcmpMessage> decodeIcmp(Family family, std::span<const std::uint8_t> packet,
                               bool with_ip_header) {
  std::span<const std::uint8_t> icmp = packet;
  if (family == Family::V4 && with_ip_header) {
    auto stripped = stripIpv4(packet);
    if (!stripped) return fail(stripped.error());
    icmp = *stripped;
  }
  if (icmp.size() < kEchoHeaderSize) {
    return fail(familyName(family),
                "truncated: " + std::to_string(icmp.size()) + " bytes, header needs 8");
  }
  // Raw ICMPv4 sockets see packets before the kernel verifies them; ICMPv6 checksums involve the
  // addresses and are verified by the kernel for raw and datagram ICMPv6 sockets.
  if (family == Family::V4 && with_ip_header && internetChecksum(icmp) != 0) {
    return fail("ICMPv4", "bad checksum");
  }
  IcmpMessage m;
  m.type = icmp[0];
  m.code = icmp[1];
  const bool v4 = family == Family::V4;
  if (m.type == (v4 ? kV4EchoReply : kV6EchoReply)) {
    m.kind = MessageKind::EchoReply;
    m.identifier = get16(icmp.data() + 4);
    m.sequence = get16(icmp.data() + 6);
    if (!readPayload(icmp.subspan(kEchoHeaderSize), m)) {
      return fail(familyName(family), "echo reply without circuitd payload (foreign or truncated)");
    }
    return m;
  }
  if (m.type == (v4 ? kV4DestUnreachable : kV6DestUnreachable)) {
    m.kind = MessageKind::DestinationUnreachable;
    return decodeQuoted(family, icmp, m);
  }
  if (m.type == (v4 ? kV4TimeExceeded : kV6TimeExceeded)) {
    m.kind = MessageKind::TimeExceeded;
    return decodeQuoted(family, icmp, m);
  }
  if (m.type == (v4 ? kV4EchoRequest : kV6EchoRequest)) {
    return fail(familyName(family), "echo request, not a reply");
  }
  return fail(familyName(family), "ignored type " + std::to_string(m.type));
}

const char* describeError(Family family, std::uint8_t type, std::uint8_t code) {
  if (family == Family::V4) {
    if (type == kV4TimeExceeded) return "time exceeded";
    if (type != kV4DestUnreachable) return "unexpected ICMP error";
    switch (code) {
      case 0:
        return "network unreachable";
      case 1:
        return "host unreachable";
      case 2:
        return "protocol unreachable";
      case 3:
        return "port unreachable";
      case 4:
        return "fragmentation needed";
      case 9:
      case 10:
      case 13:
        return "administratively prohibited";
      default:
        return "destination unreachable";
    }
  }
  if (type == kV6TimeExceeded) return "time exceeded";
  if (type != kV6DestUnreachable) return "unexpected ICMPv6 error";
  switch (code) {
    case 0:
      return "no route to destination";
    case 1:
      return "administratively prohibited";
    case 3:
      return "address unreachable";
    case 4:
      return "port unreachable";
    default:
      return "destination unreachable";
  }
}

}  // namespace circuitd::icmp
