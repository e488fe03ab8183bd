#include "tests/capture/capture_gen.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace circuitd::capture::gen {
namespace {

// 2026-11-01T00:00:00Z: every file starts here so the tables do not depend on today.
constexpr std::int64_t kStartUs = 1793491200LL * 1'000'000;

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void le32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void le16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

struct Tag {
  std::uint16_t tpid;
  std::uint16_t vid;
};

Bytes ethernet(const std::array<std::uint8_t, 6>& dst, std::vector<Tag> tags, std::uint16_t type) {
  Bytes b(dst.begin(), dst.end());
  for (std::uint8_t x : {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}) b.push_back(x);
  for (const auto& t : tags) {
    put16(b, t.tpid);
    put16(b, t.vid);
  }
  put16(b, type);
  return b;
}

constexpr std::array<std::uint8_t, 6> kMac = {0x02, 0x00, 0x5e, 0x20, 0x00, 0x02};

std::array<std::uint8_t, 4> v4(const char* s) {
  std::array<std::uint8_t, 4> a{};
  ::inet_pton(AF_INET, s, a.data());
  return a;
}
std::array<std::uint8_t, 16> v6(const char* s) {
  std::array<std::uint8_t, 16> a{};
  ::inet_pton(AF_INET6, s, a.data());
  return a;
}

/// IPv4/UDP frame of exactly `frame_len` octets (no FCS).
Bytes ipv4Frame(std::vector<Tag> tags, const char* src, const char* dst, std::size_t frame_len,
                std::uint8_t version_ihl = 0x45) {
  Bytes b = ethernet(kMac, std::move(tags), 0x0800);
  const std::size_t ip_len = frame_len - b.size();
  const std::size_t ip_start = b.size();
  b.push_back(version_ihl);
  b.push_back(0);
  put16(b, static_cast<std::uint16_t>(ip_len));
  put32(b, 0x00004000);  // id 0, DF
  b.push_back(64);
  b.push_back(17);
  put16(b, 0);
  const auto s = v4(src), d = v4(dst);
  b.insert(b.end(), s.begin(), s.end());
  b.insert(b.end(), d.begin(), d.end());
  std::uint32_t sum = 0;
  for (std::size_t i = ip_start; i < ip_start + 20; i += 2) sum += (b[i] << 8) | b[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  b[ip_start + 10] = static_cast<std::uint8_t>(~sum >> 8);
  b[ip_start + 11] = static_cast<std::uint8_t>(~sum);
  put16(b, 40000);
  put16(b, 5001);
  put16(b, static_cast<std::uint16_t>(ip_len - 20));
  put16(b, 0);
  b.resize(frame_len, 0);
  return b;
}

Bytes ipv6Frame(std::vector<Tag> tags, const char* src, const char* dst, std::size_t frame_len) {
  Bytes b = ethernet(kMac, std::move(tags), 0x86dd);
  const std::size_t payload = frame_len - b.size() - 40;
  put32(b, 0x60000000);
  put16(b, static_cast<std::uint16_t>(payload));
  b.push_back(17);
  b.push_back(64);
  const auto s = v6(src), d = v6(dst);
  b.insert(b.end(), s.begin(), s.end());
  b.insert(b.end(), d.begin(), d.end());
  put16(b, 40000);
  put16(b, 5001);
  put16(b, static_cast<std::uint16_t>(payload));
  put16(b, 0);
  b.resize(frame_len, 0);
  return b;
}

/// CCM frame (802.1ag 21.6): common header, sequence, MEPID, MAID with a character-string MD
/// name and short MA name, 16 octets for Y.1731, End TLV.
Bytes ccmFrame(std::vector<Tag> tags, std::uint8_t level, std::uint16_t mepid, std::uint32_t seq,
               std::uint8_t interval_code, bool rdi, const std::string& md, const std::string& ma,
               std::uint8_t first_tlv = 70) {
  const std::array<std::uint8_t, 6> dst = {0x01, 0x80, 0xc2,
                                           0x00, 0x00, static_cast<std::uint8_t>(0x30 + level)};
  Bytes b = ethernet(dst, std::move(tags), 0x8902);
  b.push_back(static_cast<std::uint8_t>(level << 5));
  b.push_back(1);
  b.push_back(static_cast<std::uint8_t>((rdi ? 0x80 : 0) | interval_code));
  b.push_back(first_tlv);
  put32(b, seq);
  put16(b, mepid);
  Bytes maid;
  maid.push_back(4);  // MD name format: character string
  maid.push_back(static_cast<std::uint8_t>(md.size()));
  maid.insert(maid.end(), md.begin(), md.end());
  maid.push_back(2);  // short MA name format: character string
  maid.push_back(static_cast<std::uint8_t>(ma.size()));
  maid.insert(maid.end(), ma.begin(), ma.end());
  maid.resize(48, 0);
  b.insert(b.end(), maid.begin(), maid.end());
  b.resize(b.size() + 16, 0);
  b.push_back(0);                      // End TLV
  if (b.size() < 60) b.resize(60, 0);  // Ethernet minimum without FCS
  return b;
}

struct Record {
  std::int64_t us;
  Bytes data;
  std::uint32_t wire_len;
  int order;  // stable tie-break
};

class Writer {
 public:
  void add(std::int64_t offset_us, Bytes frame, std::size_t keep = 0) {
    const auto wire = static_cast<std::uint32_t>(frame.size());
    if (keep && keep < frame.size()) frame.resize(keep);
    records_.push_back(
        {kStartUs + offset_us, std::move(frame), wire, static_cast<int>(records_.size())});
  }
  Bytes finish() {
    std::stable_sort(records_.begin(), records_.end(),
                     [](const Record& a, const Record& b) { return a.us < b.us; });
    Bytes out;
    le32(out, 0xa1b2c3d4);
    le16(out, 2);
    le16(out, 4);
    le32(out, 0);
    le32(out, 0);
    le32(out, 65535);
    le32(out, 1);  // LINKTYPE_ETHERNET
    for (const auto& r : records_) {
      le32(out, static_cast<std::uint32_t>(r.us / 1'000'000));
      le32(out, static_cast<std::uint32_t>(r.us % 1'000'000));
      le32(out, static_cast<std::uint32_t>(r.data.size()));
      le32(out, r.wire_len);
      out.insert(out.end(), r.data.begin(), r.data.end());
    }
    return out;
  }
  std::size_t size() const { return records_.size(); }

 private:
  std::vector<Record> records_;
};

void count(CircuitTruth& t, std::size_t len, int dir) {
  ++t.packets;
  t.bytes += len;
  if (dir > 0) t.in_bytes += len;
  if (dir < 0) t.out_bytes += len;
}

}  // namespace

Inventory inventory() {
  Inventory inv;
  auto add = [&inv](const std::string& key, std::optional<std::uint16_t> vlan,
                    const std::string& prefix) {
    Circuit c;
    c.key = key;
    c.link_id = key;
    c.vlan = vlan;
    c.prefix = prefix;
    inv.circuits.push_back(c);
  };
  add("STN-VLAN100", 100, "");
  add("STN-VLAN200-V6", 200, "2001:db8:200::/48");
  add("STN-PREFIX-A", std::nullopt, "10.20.1.0/24");
  add("STN-PREFIX-V6", std::nullopt, "2001:db8:77::/48");
  add("STN-QINQ", 300, "");
  return inv;
}

Capture trafficCapture() {
  Capture c;
  Writer w;
  const std::int64_t ms = 1000;
  // VLAN 100, IPv4, no prefix configured: direction unknown.
  for (int i = 0; i < 100; ++i) {
    w.add(i * 100 * ms, ipv4Frame({{0x8100, 100}}, "192.0.2.1", "192.0.2.2", 1000));
    count(c.circuits["STN-VLAN100"], 1000, 0);
  }
  // VLAN 200, IPv6 inside the circuit's prefix: 50 toward the customer, 30 from it.
  for (int i = 0; i < 50; ++i) {
    w.add(i * 190 * ms + 7 * ms,
          ipv6Frame({{0x8100, 200}}, "2001:db8:ffff::1", "2001:db8:200::10", 500));
    count(c.circuits["STN-VLAN200-V6"], 500, 1);
  }
  for (int i = 0; i < 30; ++i) {
    w.add(i * 310 * ms + 11 * ms,
          ipv6Frame({{0x8100, 200}}, "2001:db8:200::10", "2001:db8:ffff::1", 300));
    count(c.circuits["STN-VLAN200-V6"], 300, -1);
  }
  // Untagged IPv4 keyed by prefix.
  for (int i = 0; i < 40; ++i) {
    w.add(i * 240 * ms + 13 * ms, ipv4Frame({}, "198.51.100.7", "10.20.1.9", 1514));
    count(c.circuits["STN-PREFIX-A"], 1514, 1);
  }
  for (int i = 0; i < 20; ++i) {
    w.add(i * 480 * ms + 17 * ms, ipv4Frame({}, "10.20.1.9", "198.51.100.7", 200));
    count(c.circuits["STN-PREFIX-A"], 200, -1);
  }
  // Untagged IPv6 keyed by prefix.
  for (int i = 0; i < 25; ++i) {
    w.add(i * 390 * ms + 19 * ms, ipv6Frame({}, "2001:db8:ffff::2", "2001:db8:77::5", 800));
    count(c.circuits["STN-PREFIX-V6"], 800, 1);
  }
  // QinQ: S-tag 1000 outside, C-tag 300 inside; the circuit is keyed by the inner tag.
  for (int i = 0; i < 10; ++i) {
    w.add(i * 900 * ms + 23 * ms,
          ipv4Frame({{0x88a8, 1000}, {0x8100, 300}}, "192.0.2.5", "192.0.2.6", 600));
    count(c.circuits["STN-QINQ"], 600, 0);
  }
  // Not ours: a VLAN nobody configured (passes the `vlan` filter), other IPv4 and ARP (do not).
  for (int i = 0; i < 5; ++i)
    w.add(i * 1000 * ms + 29 * ms, ipv4Frame({{0x8100, 999}}, "192.0.2.9", "192.0.2.10", 400));
  for (int i = 0; i < 15; ++i)
    w.add(i * 600 * ms + 31 * ms, ipv4Frame({}, "10.99.0.1", "10.99.0.2", 300));
  for (int i = 0; i < 3; ++i) {
    Bytes arp = ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {}, 0x0806);
    arp.resize(60, 0);
    w.add(i * 3000 * ms + 37 * ms, arp);
  }
  c.unmatched_filtered = 5;
  c.unmatched_all = 5 + 15 + 3;
  // Truncated by the capture: a VLAN frame cut inside its IPv4 header, a QinQ frame cut inside
  // the inner tag, a CCM cut at 40 octets (all pass the filter), and a 10-octet stub (does not).
  w.add(2500 * ms, ipv4Frame({{0x8100, 100}}, "192.0.2.1", "192.0.2.2", 1000), 30);
  w.add(2600 * ms, ipv4Frame({{0x88a8, 1000}, {0x8100, 300}}, "192.0.2.5", "192.0.2.6", 600), 17);
  w.add(2700 * ms, ccmFrame({}, 5, 11, 1, 4, false, "bureau", "ma-100"), 40);
  w.add(2800 * ms, ipv4Frame({}, "10.20.1.1", "10.20.1.2", 200), 10);
  c.truncated_filtered = 3;
  c.truncated_all = 4;
  // Malformed: IPv4 version 5 on VLAN 100, IHL 3 on VLAN 200, CCM with first-TLV offset 50.
  w.add(3500 * ms, ipv4Frame({{0x8100, 100}}, "192.0.2.1", "192.0.2.2", 200, 0x55));
  w.add(3600 * ms, ipv4Frame({{0x8100, 200}}, "192.0.2.1", "192.0.2.2", 200, 0x43));
  w.add(3700 * ms, ccmFrame({}, 5, 11, 1, 4, false, "bureau", "ma-100", 50));
  c.malformed = 3;
  c.frames = w.size();
  c.pcap = w.finish();
  return c;
}

Capture cfmCapture() {
  Capture c;
  Writer w;
  const std::int64_t ms = 1000;
  // MEP 5/100/11, 1 s interval (code 4): CCMs 0..29 s, missing 10..14 s, RDI on 20..24 s.
  // Sequence numbers keep counting through the gap, as the sender kept sending.
  for (int s = 0; s < 30; ++s) {
    if (s >= 10 && s < 15) continue;
    w.add(s * 1000 * ms + 3 * ms,
          ccmFrame({{0x8100, 100}}, 5, 11, static_cast<std::uint32_t>(s + 1), 4, s >= 20 && s < 25,
                   "bureau", "ma-100"));
    count(c.circuits["STN-VLAN100"], 14 + 4 + 75, 0);
  }
  // MEP 6/0/21, untagged, 100 ms interval (code 3): CCMs 0 .. 19.9 s, then silence to the end.
  for (int i = 0; i < 200; ++i)
    w.add(i * 100 * ms + 50 * ms,
          ccmFrame({}, 6, 21, static_cast<std::uint32_t>(i + 1), 3, false, "bureau", "ma-core"));
  // One CCM with the invalid interval code 0.
  w.add(29500 * ms, ccmFrame({}, 6, 22, 1, 0, false, "bureau", "ma-core"));
  c.malformed = 1;
  c.unmatched_filtered = c.unmatched_all = 200;
  c.frames = w.size();
  c.pcap = w.finish();
  return c;
}

std::vector<std::uint8_t> taggedFrame(std::uint16_t vlan, std::size_t length) {
  return ipv4Frame({{0x8100, vlan}}, "192.0.2.1", "192.0.2.2", length);
}

std::vector<std::uint8_t> untaggedFrame(const char* src, const char* dst, std::size_t length) {
  return ipv4Frame({}, src, dst, length);
}

std::vector<std::uint8_t> taggedCcm(std::uint16_t vlan, std::uint16_t mep_id,
                                    std::uint32_t sequence, std::uint8_t interval_code) {
  return ccmFrame({{0x8100, vlan}}, 5, mep_id, sequence, interval_code, false, "bureau",
                  "ma-" + std::to_string(vlan));
}

}  // namespace circuitd::capture::gen
