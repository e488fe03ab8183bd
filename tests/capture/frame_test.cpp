// Frame decoder: tags, IPv4/IPv6 addresses, CCM fields, and how damaged frames are classified.
#include "probes/capture/frame.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "probes/capture/pcap_source.hpp"
#include "probes/capture/traffic_counter.hpp"

namespace cap = circuitd::capture;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes eth(std::vector<std::pair<std::uint16_t, std::uint16_t>> tags, std::uint16_t type) {
  Bytes b(12, 0xaa);
  for (auto [tpid, vid] : tags) {
    b.push_back(static_cast<std::uint8_t>(tpid >> 8));
    b.push_back(static_cast<std::uint8_t>(tpid));
    b.push_back(static_cast<std::uint8_t>(vid >> 8));
    b.push_back(static_cast<std::uint8_t>(vid));
  }
  b.push_back(static_cast<std::uint8_t>(type >> 8));
  b.push_back(static_cast<std::uint8_t>(type));
  return b;
}

Bytes ipv4(Bytes b, std::uint8_t vihl = 0x45) {
  Bytes ip = {vihl, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 20, 1, 9, 198, 51, 100, 7};
  ip.resize(40, 0);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

Bytes ccm(Bytes b, std::uint8_t level, std::uint8_t flags, std::uint16_t mepid,
          std::uint8_t first_tlv = 70) {
  b.push_back(static_cast<std::uint8_t>(level << 5));
  b.push_back(1);
  b.push_back(flags);
  b.push_back(first_tlv);
  for (std::uint8_t x : {0, 0, 1, 0}) b.push_back(x);  // sequence 256
  b.push_back(static_cast<std::uint8_t>(mepid >> 8));
  b.push_back(static_cast<std::uint8_t>(mepid));
  Bytes maid = {4, 2, 'm', 'd', 2, 4, 'm', 'a', '-', '1'};
  maid.resize(48, 0);
  b.insert(b.end(), maid.begin(), maid.end());
  b.resize(b.size() + 17, 0);
  return b;
}

}  // namespace

TEST(FrameDecoderTest, ReadsVlanStackAndIpv4Addresses) {
  const auto r = cap::decodeEthernet(ipv4(eth({{0x88a8, 1000}, {0x8100, 0x2000 | 300}}, 0x0800)));
  ASSERT_EQ(r.status, cap::DecodeResult::Status::Ok) << r.reason;
  EXPECT_EQ(r.frame.kind, cap::Frame::Kind::Ipv4);
  EXPECT_EQ(r.frame.vlans, (std::vector<std::uint16_t>{1000, 300}));  // PCP bits masked off
  EXPECT_EQ(r.frame.src->str(), "10.20.1.9");
  EXPECT_EQ(r.frame.dst->str(), "198.51.100.7");
}

TEST(FrameDecoderTest, ReadsIpv6Addresses) {
  Bytes b = eth({}, 0x86dd);
  Bytes ip(40, 0);
  ip[0] = 0x60;
  ip[8] = 0x20;
  ip[9] = 0x01;
  ip[10] = 0x0d;
  ip[11] = 0xb8;
  ip[23] = 1;
  ip[24] = 0x20;
  ip[25] = 0x01;
  ip[26] = 0x0d;
  ip[27] = 0xb8;
  ip[39] = 2;
  b.insert(b.end(), ip.begin(), ip.end());
  const auto r = cap::decodeEthernet(b);
  ASSERT_EQ(r.status, cap::DecodeResult::Status::Ok);
  EXPECT_EQ(r.frame.src->str(), "2001:db8::1");
  EXPECT_EQ(r.frame.dst->str(), "2001:db8::2");
}

TEST(FrameDecoderTest, ReadsCcmLevelRdiIntervalMepidAndMaName) {
  const auto r = cap::decodeEthernet(ccm(eth({{0x8100, 100}}, 0x8902), 5, 0x84, 11));
  ASSERT_EQ(r.status, cap::DecodeResult::Status::Ok) << r.reason;
  ASSERT_TRUE(r.frame.ccm);
  EXPECT_EQ(r.frame.ccm->md_level, 5);
  EXPECT_TRUE(r.frame.ccm->rdi);
  EXPECT_EQ(r.frame.ccm->interval_code, 4);
  EXPECT_DOUBLE_EQ(cap::ccmIntervalMs(4), 1000.0);
  EXPECT_EQ(r.frame.ccm->mep_id, 11);
  EXPECT_EQ(r.frame.ccm->sequence, 256u);
  EXPECT_EQ(r.frame.ccm->ma_name, "ma-1");
}

TEST(FrameDecoderTest, ClassifiesShortHeadersAsTruncated) {
  EXPECT_EQ(cap::decodeEthernet(Bytes(10, 0)).status, cap::DecodeResult::Status::Truncated);
  Bytes v = ipv4(eth({{0x8100, 100}}, 0x0800));
  v.resize(30);
  const auto r = cap::decodeEthernet(v);
  EXPECT_EQ(r.status, cap::DecodeResult::Status::Truncated);
  EXPECT_NE(r.reason.find("ipv4"), std::string::npos);
  Bytes c = ccm(eth({}, 0x8902), 5, 4, 11);
  c.resize(40);
  EXPECT_EQ(cap::decodeEthernet(c).status, cap::DecodeResult::Status::Truncated);
  Bytes tag = eth({{0x8100, 100}}, 0x0800);
  tag.resize(15);
  EXPECT_EQ(cap::decodeEthernet(tag).status, cap::DecodeResult::Status::Truncated);
}

TEST(FrameDecoderTest, ClassifiesImpossibleContentsAsMalformed) {
  EXPECT_EQ(cap::decodeEthernet(ipv4(eth({}, 0x0800), 0x55)).status,
            cap::DecodeResult::Status::Malformed);
  EXPECT_EQ(cap::decodeEthernet(ipv4(eth({}, 0x0800), 0x43)).status,
            cap::DecodeResult::Status::Malformed);
  EXPECT_EQ(cap::decodeEthernet(ccm(eth({}, 0x8902), 5, 4, 11, 50)).status,
            cap::DecodeResult::Status::Malformed);
  EXPECT_EQ(cap::decodeEthernet(ccm(eth({}, 0x8902), 5, 0, 11)).status,
            cap::DecodeResult::Status::Malformed);
  EXPECT_EQ(cap::decodeEthernet(ccm(eth({}, 0x8902), 5, 4, 0)).status,
            cap::DecodeResult::Status::Malformed);
  Bytes deep = eth({{0x8100, 1}, {0x8100, 2}, {0x8100, 3}, {0x8100, 4}, {0x8100, 5}}, 0x0800);
  EXPECT_EQ(cap::decodeEthernet(ipv4(deep)).status, cap::DecodeResult::Status::Malformed);
}

TEST(FrameDecoderTest, NeverReadsPastAnyTruncationPoint) {
  // Every prefix of every sample frame decodes to some status without crashing (ASan/UBSan
  // builds catch an over-read here).
  for (const Bytes& full : {ipv4(eth({{0x88a8, 1}, {0x8100, 2}}, 0x0800)),
                            ccm(eth({{0x8100, 100}}, 0x8902), 5, 4, 11), eth({}, 0x86dd)})
    for (std::size_t n = 0; n <= full.size(); ++n) {
      Bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      (void)cap::decodeEthernet(part);
    }
  SUCCEED();
}

TEST(CircuitMapTest, ParsesPrefixesAndClearsHostBits) {
  auto p = cap::parsePrefix("10.20.1.77/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->str(), "10.20.1.0/24");
  auto q = cap::parsePrefix("2001:db8:77::1/48");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->str(), "2001:db8:77::/48");
  EXPECT_FALSE(cap::parsePrefix("10.20.1.0/33"));
  EXPECT_FALSE(cap::parsePrefix("10.20.300.0/24"));
  EXPECT_FALSE(cap::parsePrefix("10.0.0.0/"));
}

TEST(CircuitMapTest, BadPrefixOrDuplicateVlanNamesTheCircuit) {
  circuitd::Inventory inv;
  circuitd::Circuit a;
  a.key = "A";
  a.prefix = "10.1.2.0/40";
  inv.circuits.push_back(a);
  auto r = cap::TrafficCounter::create(inv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "circuit A prefix");
  inv.circuits[0].prefix.clear();
  inv.circuits[0].vlan = 100;
  circuitd::Circuit b;
  b.key = "B";
  b.vlan = 100;
  inv.circuits.push_back(b);
  auto d = cap::TrafficCounter::create(inv);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().what.find("also circuit A"), std::string::npos);
}

TEST(CircuitMapTest, BpfFilterCompilesWithLibpcap) {
  circuitd::Inventory inv;
  circuitd::Circuit a;
  a.key = "A";
  a.prefix = "10.1.2.0/24";
  circuitd::Circuit b;
  b.key = "B";
  b.prefix = "2001:db8::/32";
  inv.circuits = {a, b};
  auto prefixOnly = cap::TrafficCounter::create(inv);
  ASSERT_TRUE(prefixOnly);
  const auto f1 = prefixOnly->bpfFilter();
  EXPECT_EQ(f1,
            "(ether proto 0x8902 or net 10.1.2.0/24 or net 2001:db8::/32) or (vlan and "
            "(ether proto 0x8902 or net 10.1.2.0/24 or net 2001:db8::/32))");
  EXPECT_TRUE(cap::checkFilter(f1));
  inv.circuits[0].vlan = 100;
  auto withVlan = cap::TrafficCounter::create(inv);
  ASSERT_TRUE(withVlan);
  EXPECT_TRUE(cap::checkFilter(withVlan->bpfFilter()));
  EXPECT_FALSE(cap::checkFilter("net 10.1.2.0/99"));
}
