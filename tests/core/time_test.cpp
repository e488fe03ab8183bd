#include "domain/core/time.hpp"

#include <gtest/gtest.h>

using namespace circuitd;
using namespace std::chrono_literals;

TEST(TimeTest, FormatsAndParsesIsoUtcRoundTrip) {
  const auto t = parseIso("2024-07-01T08:30:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(toUnixMs(*t), 1719822600000);
  EXPECT_EQ(formatIso(*t), "2024-07-01T08:30:00Z");
  EXPECT_EQ(formatIso(*t + 250ms), "2024-07-01T08:30:00.250Z");
  EXPECT_EQ(parseIso("2024-07-01T08:30:00.250Z"), *t + 250ms);
}

TEST(TimeTest, ParsesOffsetsAndSpaceSeparator) {
  EXPECT_EQ(parseIso("2024-07-01T16:30:00+08:00"), parseIso("2024-07-01T08:30:00Z"));
  EXPECT_EQ(parseIso("2024-07-01 08:30"), parseIso("2024-07-01T08:30:00Z"));
}

TEST(TimeTest, RejectsMalformedTimestamps) {
  EXPECT_FALSE(parseIso("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parseIso("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(parseIso("yesterday"));
  EXPECT_FALSE(parseIso("2024-07-01T08:30:00Zjunk"));
}

TEST(TimeTest, FakeClockOnlyMovesWhenTold) {
  FakeClock c(fromUnixMs(1000));
  EXPECT_EQ(toUnixMs(c.now()), 1000);
  c.advance(5s);
  EXPECT_EQ(toUnixMs(c.now()), 6000);
}
