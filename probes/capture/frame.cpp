#include "probes/capture/frame.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace circuitd::capture {
namespace {

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

DecodeResult truncated(DecodeResult r, std::string why) {
  r.status = DecodeResult::Status::Truncated;
  r.reason = std::move(why);
  return r;
}
DecodeResult malformed(DecodeResult r, std::string why) {
  r.status = DecodeResult::Status::Malformed;
  r.reason = std::move(why);
  return r;
}

// MAID (802.1ag 21.6.5): MD name format, [MD name length, MD name], short MA name format,
// short MA name length, short MA name, zero padding to 48 octets. Only a printable name is kept.
std::string maName(const std::uint8_t* maid) {
  std::size_t off = 0;
  const std::uint8_t md_format = maid[off++];
  if (md_format != 1) {  // format 1 = no MD name present
    const std::uint8_t md_len = maid[off++];
    off += md_len;
  }
  if (off + 2 > 48) return {};
  ++off;  // short MA name format
  const std::uint8_t ma_len = maid[off++];
  if (off + ma_len > 48) return {};
  std::string name;
  for (std::size_t i = 0; i < ma_len; ++i) {
    const char ch = static_cast<char>(maid[off + i]);
    name += (ch >= 0x20 && ch < 0x7f) ? ch : '.';
  }
  return name;
}

}  // namespace

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

double ccmIntervalMs(std::uint8_t code) {
  static constexpr double kMs[8] = {0, 10.0 / 3.0, 10, 100, 1000, 10000, 60000, 600000};
  return code < 8 ? kMs[code] : 0;
}

DecodeResult decodeEthernet(std::span<const std::uint8_t> d) {
  DecodeResult r;
  Frame& f = r.frame;
  if (d.size() < 14)
    return truncated(r, "ethernet header: " + std::to_string(d.size()) + " of 14 octets");
  std::size_t off = 12;
  std::uint16_t type = get16(d.data() + off);
  off += 2;
  // 0x8100 = C-tag, 0x88a8 = S-tag, 0x9100 = pre-standard QinQ used by some carrier gear.
  while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
    if (d.size() < off + 4) return truncated(r, "vlan tag at offset " + std::to_string(off));
    if (f.vlans.size() >= 4) return malformed(r, "more than 4 stacked vlan tags");
    f.vlans.push_back(get16(d.data() + off) & 0x0fff);
    type = get16(d.data() + off + 2);
    off += 4;
  }
  f.ethertype = type;
  const std::uint8_t* p = d.data() + off;
  const std::size_t left = d.size() - off;
  if (type == 0x0800) {
    f.kind = Frame::Kind::Ipv4;
    if (left < 20) return truncated(r, "ipv4 header: " + std::to_string(left) + " of 20 octets");
    if ((p[0] >> 4) != 4) return malformed(r, "ipv4 header: version " + std::to_string(p[0] >> 4));
    const std::size_t ihl = (p[0] & 0x0f) * 4u;
    if (ihl < 20) return malformed(r, "ipv4 header: IHL " + std::to_string(ihl) + " < 20 octets");
    if (get16(p + 2) < ihl) return malformed(r, "ipv4 header: total length below header length");
    IpAddress s, t;
    std::memcpy(s.bytes.data(), p + 12, 4);
    std::memcpy(t.bytes.data(), p + 16, 4);
    f.src = s;
    f.dst = t;
  } else if (type == 0x86dd) {
    f.kind = Frame::Kind::Ipv6;
    if (left < 40) return truncated(r, "ipv6 header: " + std::to_string(left) + " of 40 octets");
    if ((p[0] >> 4) != 6) return malformed(r, "ipv6 header: version " + std::to_string(p[0] >> 4));
    IpAddress s, t;
    s.v6 = t.v6 = true;
    std::memcpy(s.bytes.data(), p + 8, 16);
    std::memcpy(t.bytes.data(), p + 24, 16);
    f.src = s;
    f.dst = t;
  } else if (type == kEthertypeCfm) {
    f.kind = Frame::Kind::Cfm;
    if (left < 4)
      return truncated(r, "cfm common header: " + std::to_string(left) + " of 4 octets");
    f.cfm_opcode = p[1];
    if (f.cfm_opcode == kCfmOpcodeCcm) {
      // Common header (4) + sequence (4) + MEPID (2) + MAID (48) + Y.1731 (16) = first TLV at 74.
      const std::uint8_t first_tlv = p[3];
      if (first_tlv != 70)
        return malformed(
            r, "cfm ccm: first TLV offset " + std::to_string(first_tlv) + ", expected 70");
      if (left < 75) return truncated(r, "cfm ccm: " + std::to_string(left) + " of 75 octets");
      CcmInfo c;
      c.md_level = static_cast<std::uint8_t>(p[0] >> 5);
      c.rdi = (p[2] & 0x80) != 0;
      c.interval_code = p[2] & 0x07;
      c.sequence = get32(p + 4);
      c.mep_id = get16(p + 8) & 0x1fff;
      if (c.interval_code == 0) return malformed(r, "cfm ccm: interval code 0 (invalid)");
      if (c.mep_id == 0) return malformed(r, "cfm ccm: MEPID 0 (valid range 1..8191)");
      c.ma_name = maName(p + 10);
      f.ccm = c;
    }
  }
  return r;
}

}  // namespace circuitd::capture
