#include "probes/icmp/icmp_codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

using namespace circuitd::icmp;

namespace {

std::vector<std::uint8_t> request(Family f, std::uint16_t id = 0x1234, std::uint16_t seq = 7,
                                  std::size_t payload = 56) {
  EchoRequest r;
  r.family = f;
  r.identifier = id;
  r.sequence = seq;
  r.token = 0xabcdef01;
  r.send_ns = 0x0102030405060708ull;
  r.payload_size = payload;
  std::vector<std::uint8_t> out(8 + payload);
  EXPECT_EQ(encodeEchoRequest(r, out), out.size());
  return out;
}

// What a target sends back: the request with the type changed (and the ICMPv4 checksum fixed).
std::vector<std::uint8_t> asReply(std::vector<std::uint8_t> icmp, Family f) {
  icmp[0] = f == Family::V4 ? kV4EchoReply : kV6EchoReply;
  icmp[2] = icmp[3] = 0;
  if (f == Family::V4) {
    const auto c = internetChecksum(icmp);
    icmp[2] = static_cast<std::uint8_t>(c >> 8);
    icmp[3] = static_cast<std::uint8_t>(c);
  }
  return icmp;
}

std::vector<std::uint8_t> ipv4(const std::vector<std::uint8_t>& icmp, std::uint8_t proto = 1) {
  std::vector<std::uint8_t> p(20);
  p[0] = 0x45;
  const auto total = static_cast<std::uint16_t>(20 + icmp.size());
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[8] = 64;
  p[9] = proto;
  p[12] = 127;
  p[15] = 1;
  p[16] = 127;
  p[19] = 1;
  p.insert(p.end(), icmp.begin(), icmp.end());
  return p;
}

}  // namespace

TEST(IcmpCodecTest, ChecksumMatchesRfc1071Example) {
  // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2, so the checksum is 220d.
  const std::array<std::uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internetChecksum(data), 0x220d);
}

TEST(IcmpCodecTest, ChecksumPadsOddLength) {
  const std::array<std::uint8_t, 3> odd{0x01, 0x02, 0x03};
  const std::array<std::uint8_t, 4> even{0x01, 0x02, 0x03, 0x00};
  EXPECT_EQ(internetChecksum(odd), internetChecksum(even));
}

TEST(IcmpCodecTest, EncodesV4EchoRequestWithValidChecksum) {
  const auto pkt = request(Family::V4);
  EXPECT_EQ(pkt[0], kV4EchoRequest);
  EXPECT_EQ(pkt[4], 0x12);
  EXPECT_EQ(pkt[5], 0x34);
  EXPECT_EQ(pkt[7], 7);
  EXPECT_EQ(internetChecksum(pkt), 0) << "a correct checksum sums to zero";
}

TEST(IcmpCodecTest, EncodesV6EchoRequestLeavingChecksumToKernel) {
  const auto pkt = request(Family::V6);
  EXPECT_EQ(pkt[0], kV6EchoRequest);
  EXPECT_EQ(pkt[2], 0);
  EXPECT_EQ(pkt[3], 0);
}

TEST(IcmpCodecTest, RefusesPayloadSmallerThanCircuitdHeaderOrShortBuffer) {
  EchoRequest r;
  r.payload_size = kMinPayload - 1;
  std::array<std::uint8_t, 128> out{};
  EXPECT_EQ(encodeEchoRequest(r, out), 0u);
  r.payload_size = 56;
  EXPECT_EQ(encodeEchoRequest(r, std::span<std::uint8_t>(out.data(), 63)), 0u);
}

TEST(IcmpCodecTest, DecodesV4ReplyWithIpHeader) {
  const auto pkt = ipv4(asReply(request(Family::V4), Family::V4));
  const auto m = decodeIcmp(Family::V4, pkt, true);
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ(m->kind, MessageKind::EchoReply);
  EXPECT_EQ(m->identifier, 0x1234);
  EXPECT_EQ(m->sequence, 7);
  EXPECT_EQ(m->token, 0xabcdef01u);
  EXPECT_EQ(m->send_ns, 0x0102030405060708ull);
}

TEST(IcmpCodecTest, DecodesV6ReplyWithoutIpHeader) {
  const auto m = decodeIcmp(Family::V6, asReply(request(Family::V6, 9, 65535), Family::V6), false);
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ(m->identifier, 9);
  EXPECT_EQ(m->sequence, 65535);
}

TEST(IcmpCodecTest, RejectsTruncatedEchoReplyAtEveryLength) {
  const auto full = ipv4(asReply(request(Family::V4), Family::V4));
  // Every prefix shorter than IP header + ICMP header + circuitd payload must be refused.
  for (std::size_t n = 0; n < 20 + 8 + kMinPayload; ++n) {
    std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    EXPECT_FALSE(decodeIcmp(Family::V4, cut, true)) << "length " << n;
  }
  const auto v6 = asReply(request(Family::V6), Family::V6);
  for (std::size_t n = 0; n < 8 + kMinPayload; ++n) {
    std::vector<std::uint8_t> cut(v6.begin(), v6.begin() + static_cast<long>(n));
    EXPECT_FALSE(decodeIcmp(Family::V6, cut, false)) << "length " << n;
  }
}

TEST(IcmpCodecTest, RejectsIpTotalLengthBeyondReceivedBytes) {
  auto pkt = ipv4(asReply(request(Family::V4), Family::V4));
  pkt.resize(pkt.size() - 4);
  const auto m = decodeIcmp(Family::V4, pkt, true);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().what.find("truncated"), std::string::npos);
}

TEST(IcmpCodecTest, RejectsBadV4Checksum) {
  auto pkt = ipv4(asReply(request(Family::V4), Family::V4));
  pkt[40] ^= 0xff;
  const auto m = decodeIcmp(Family::V4, pkt, true);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().what, "bad checksum");
}

TEST(IcmpCodecTest, RejectsForeignReplyWithoutMagic) {
  auto icmp = request(Family::V4);
  icmp[8] = 'X';  // someone else's ping payload
  const auto m = decodeIcmp(Family::V4, ipv4(asReply(icmp, Family::V4)), true);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().what.find("foreign"), std::string::npos);
}

TEST(IcmpCodecTest, RejectsEchoRequestSeenOnRawSocket) {
  EXPECT_FALSE(decodeIcmp(Family::V4, ipv4(request(Family::V4)), true));
  EXPECT_FALSE(decodeIcmp(Family::V6, request(Family::V6), false));
}

TEST(IcmpCodecTest, RejectsNonIcmpAndNonV4Headers) {
  EXPECT_FALSE(decodeIcmp(Family::V4, ipv4(asReply(request(Family::V4), Family::V4), 17), true));
  auto pkt = ipv4(asReply(request(Family::V4), Family::V4));
  pkt[0] = 0x65;
  EXPECT_FALSE(decodeIcmp(Family::V4, pkt, true));
  pkt[0] = 0x4f;  // IHL 60 bytes: longer than this packet's real header
  EXPECT_FALSE(decodeIcmp(Family::V4, std::span<const std::uint8_t>(pkt.data(), 40), true));
}

TEST(IcmpCodecTest, DecodesV4HostUnreachableQuotingOurRequest) {
  const auto quoted = ipv4(request(Family::V4, 0x4242, 300));
  std::vector<std::uint8_t> err{kV4DestUnreachable, 1, 0, 0, 0, 0, 0, 0};
  err.insert(err.end(), quoted.begin(), quoted.begin() + 28);  // RFC 792 minimum: 8 bytes
  const auto c = internetChecksum(err);
  err[2] = static_cast<std::uint8_t>(c >> 8);
  err[3] = static_cast<std::uint8_t>(c);
  const auto m = decodeIcmp(Family::V4, ipv4(err), true);
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ(m->kind, MessageKind::DestinationUnreachable);
  EXPECT_EQ(m->identifier, 0x4242);
  EXPECT_EQ(m->sequence, 300);
  EXPECT_FALSE(m->has_payload);
  EXPECT_STREQ(describeError(Family::V4, m->type, m->code), "host unreachable");
}

TEST(IcmpCodecTest, DecodesV6AddressUnreachableWithFullQuote) {
  std::vector<std::uint8_t> ip6(40);
  ip6[0] = 0x60;
  ip6[6] = 58;
  const auto req = request(Family::V6, 77, 5);
  ip6.insert(ip6.end(), req.begin(), req.end());
  std::vector<std::uint8_t> err{kV6DestUnreachable, 3, 0, 0, 0, 0, 0, 0};
  err.insert(err.end(), ip6.begin(), ip6.end());
  const auto m = decodeIcmp(Family::V6, err, false);
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ(m->identifier, 77);
  EXPECT_TRUE(m->has_payload);
  EXPECT_EQ(m->token, 0xabcdef01u);
  EXPECT_STREQ(describeError(Family::V6, m->type, m->code), "address unreachable");
}

TEST(IcmpCodecTest, RejectsErrorQuotingSomethingElse) {
  std::vector<std::uint8_t> udp(28);
  udp[0] = 0x45;
  udp[9] = 17;
  std::vector<std::uint8_t> err{kV4DestUnreachable, 3, 0, 0, 0, 0, 0, 0};
  err.insert(err.end(), udp.begin(), udp.end());
  const auto c = internetChecksum(err);
  err[2] = static_cast<std::uint8_t>(c >> 8);
  err[3] = static_cast<std::uint8_t>(c);
  EXPECT_FALSE(decodeIcmp(Family::V4, ipv4(err), true));
}

TEST(IcmpCodecTest, NeverCrashesOnArbitraryBytes) {
  // Deterministic pseudo-random packets of all small sizes: decode must only accept or refuse.
  std::uint32_t x = 12345;
  std::size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> p(static_cast<std::size_t>(round % 120));
    for (auto& b : p) {
      x = x * 1664525u + 1013904223u;
      b = static_cast<std::uint8_t>(x >> 24);
    }
    if (!p.empty() && round % 3 == 0) p[0] = 0x45;
    if (decodeIcmp(Family::V4, p, true)) ++accepted;
    if (decodeIcmp(Family::V6, p, false)) ++accepted;
  }
  EXPECT_LT(accepted, 20u) << "random bytes must almost never pass as our messages";
}
