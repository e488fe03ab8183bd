// TWAMP-Light codec: field layout (RFC 5357 4.2.1 / RFC 4656 4.1.2), NTP time arithmetic and
// the rejection of short or corrupt packets.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "probes/throughput/twamp_codec.hpp"

namespace tp = circuitd::throughput;

TEST(TwampNtpTest, UnixEpochIsNtpSeconds2208988800) {
  const auto t = tp::ntpFromUnixNanos(0);
  EXPECT_EQ(t.seconds, 2208988800U);
  EXPECT_EQ(t.fraction, 0U);
}

TEST(TwampNtpTest, HalfSecondIsFractionTwoToThe31) {
  const auto t = tp::ntpFromUnixNanos(1'500'000'000);
  EXPECT_EQ(t.seconds, 2208988801U);
  EXPECT_EQ(t.fraction, 0x80000000U);
}

TEST(TwampNtpTest, RoundTripKeepsNanosecondsWithinOneTick) {
  const std::int64_t ns = 1'764'000'000'123'456'789LL;
  const auto back = tp::unixNanosFromNtp(tp::ntpFromUnixNanos(ns), ns);
  EXPECT_LE(std::llabs(back - ns), 1);
}

TEST(TwampNtpTest, DifferenceSurvivesThe2036EraWrap) {
  // 2036-02-07 06:28:16 UTC is NTP second 2^32: era 0 ends there.
  const std::int64_t wrap_ns = (4294967296LL - 2208988800LL) * 1'000'000'000LL;
  const auto before = tp::ntpFromUnixNanos(wrap_ns - 250'000'000);
  const auto after = tp::ntpFromUnixNanos(wrap_ns + 250'000'000);
  EXPECT_GT(before.seconds, after.seconds);  // the raw value went backwards
  EXPECT_NEAR(static_cast<double>(tp::ntpDiffNanos(before, after)), 500e6, 2);
  EXPECT_NEAR(static_cast<double>(tp::unixNanosFromNtp(after, wrap_ns)),
              static_cast<double>(wrap_ns + 250'000'000), 2);
}

TEST(TwampErrorEstimateTest, EncodesSZScaleMultiplierBits) {
  tp::ErrorEstimate e{true, false, 0x3f, 0x01};
  EXPECT_EQ(e.encode(), 0xbf01);
  const auto d = tp::ErrorEstimate::decode(0x4a20);
  EXPECT_FALSE(d.synchronized);
  EXPECT_TRUE(d.ptp_format);
  EXPECT_EQ(d.scale, 0x0a);
  EXPECT_EQ(d.multiplier, 0x20);
}

TEST(TwampErrorEstimateTest, FromSecondsCoversTheRequestedError) {
  for (double err : {1e-6, 1e-3, 0.25, 3.0}) {
    const auto e = tp::ErrorEstimate::fromSeconds(err, false);
    EXPECT_GE(e.seconds(), err);
    EXPECT_LT(e.seconds(), err * 1.01 + 1e-9);
    EXPECT_NE(e.multiplier, 0);
  }
}

TEST(TwampSenderPacketTest, LayoutIsSequenceTimestampErrorThenZeroPadding) {
  tp::SenderPacket p;
  p.sequence = 0x01020304;
  p.timestamp = {0x05060708, 0x090a0b0c};
  p.error = tp::ErrorEstimate{false, false, 0, 1};
  std::vector<std::uint8_t> out;
  tp::encodeSender(p, 41, out);
  ASSERT_EQ(out.size(), 41U);
  const std::vector<std::uint8_t> head = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x00, 0x01};
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 14), head);
  for (std::size_t i = 14; i < out.size(); ++i) EXPECT_EQ(out[i], 0) << i;
  auto d = tp::decodeSender(out);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->sequence, p.sequence);
  EXPECT_EQ(d->timestamp, p.timestamp);
}

TEST(TwampSenderPacketTest, RejectsTruncatedPacket) {
  std::vector<std::uint8_t> out(13, 0);
  auto d = tp::decodeSender(out);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().what.find("truncated"), std::string::npos);
}

TEST(TwampSenderPacketTest, RejectsZeroErrorMultiplier) {
  std::vector<std::uint8_t> out(14, 0);
  auto d = tp::decodeSender(out);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().what.find("multiplier"), std::string::npos);
}

TEST(TwampReflectorPacketTest, FieldsSitAtRfcOffsets) {
  tp::ReflectorPacket p;
  p.sequence = 7;
  p.timestamp = {0x11111111, 0x22222222};
  p.error = tp::ErrorEstimate{true, false, 1, 2};
  p.receive_timestamp = {0x33333333, 0x44444444};
  p.sender_sequence = 0xdeadbeef;
  p.sender_timestamp = {0x55555555, 0x66666666};
  p.sender_error = tp::ErrorEstimate{false, false, 3, 4};
  p.sender_ttl = 253;
  std::vector<std::uint8_t> b;
  tp::encodeReflector(p, 1400, b);
  ASSERT_EQ(b.size(), 1400U);
  EXPECT_EQ(b[3], 7);
  EXPECT_EQ(b[4], 0x11);
  EXPECT_EQ(b[12], 0x81);
  EXPECT_EQ(b[13], 0x02);
  EXPECT_EQ(b[14], 0);
  EXPECT_EQ(b[15], 0);
  EXPECT_EQ(b[16], 0x33);
  EXPECT_EQ(b[24], 0xde);
  EXPECT_EQ(b[27], 0xef);
  EXPECT_EQ(b[28], 0x55);
  EXPECT_EQ(b[36], 0x03);
  EXPECT_EQ(b[37], 0x04);
  EXPECT_EQ(b[40], 253);
  auto d = tp::decodeReflector(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->sender_sequence, 0xdeadbeefU);
  EXPECT_EQ(d->receive_timestamp, p.receive_timestamp);
  EXPECT_EQ(d->sender_ttl, 253);
  EXPECT_TRUE(d->error.synchronized);
}

TEST(TwampReflectorPacketTest, ShortRequestStillGetsA41OctetReply) {
  std::vector<std::uint8_t> b;
  tp::encodeReflector(tp::ReflectorPacket{}, 14, b);
  EXPECT_EQ(b.size(), tp::kReflectorHeaderSize);
}

TEST(TwampReflectorPacketTest, RejectsTruncatedAndNonZeroMbz) {
  std::vector<std::uint8_t> b;
  tp::encodeReflector(tp::ReflectorPacket{}, 41, b);
  EXPECT_FALSE(tp::decodeReflector(std::span<const std::uint8_t>(b.data(), 40)));
  auto mbz = b;
  mbz[15] = 1;
  auto r = tp::decodeReflector(mbz);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find("14"), std::string::npos);
  auto mbz2 = b;
  mbz2[38] = 0x80;
  EXPECT_FALSE(tp::decodeReflector(mbz2));
  auto zero = b;
  zero[13] = 0;
  EXPECT_FALSE(tp::decodeReflector(zero));
}
