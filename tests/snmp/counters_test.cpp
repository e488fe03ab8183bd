#include "probes/snmp/counters.hpp"

#include <gtest/gtest.h>

using namespace circuitd;
using namespace circuitd::snmp;
using namespace std::chrono_literals;

namespace {

CounterSnapshot snap(TimePoint t, std::uint32_t uptime, std::uint64_t in, std::uint64_t out,
                     CounterWidth w = CounterWidth::Bits64) {
  CounterSnapshot s;
  s.time = t;
  s.sys_uptime = uptime;
  s.width = w;
  s.in_octets = in;
  s.out_octets = out;
  s.discontinuity_time = 0;
  s.in_errors = 0;
  s.out_errors = 0;
  s.in_discards = 0;
  return s;
}

const TimePoint kT0 = fromUnixMs(1'700'000'000'000);

}  // namespace

TEST(CounterDeltaTest, Counter64IsPlainDifference) {
  EXPECT_EQ(counterDelta(1000, 251000, CounterWidth::Bits64), 250000u);
}

TEST(CounterDeltaTest, Counter64DecreaseIsResetNotWrap) {
  EXPECT_FALSE(counterDelta(5'000'000, 10, CounterWidth::Bits64).has_value());
}

TEST(CounterDeltaTest, Counter32WrapsOnceModulo2To32) {
  // 4294967000 -> 200 is 296 + 200 = 496 octets across the wrap.
  EXPECT_EQ(counterDelta(4294967000u, 200u, CounterWidth::Bits32), 496u);
}

TEST(CounterRatesTest, RateUsesAgentUptimeNotPollerClock) {
  // Poller saw 12 s between replies (queued request), the agent only 10 s: the agent is right.
  auto a = snap(kT0, 100000, 0, 0);
  auto b = snap(kT0 + 12s, 101000, 1'250'000, 2'500'000);
  auto r = computeRates(a, b, 1000);
  ASSERT_FALSE(r.discontinuity);
  EXPECT_DOUBLE_EQ(r.interval_s, 10.0);
  EXPECT_DOUBLE_EQ(*r.in_bps, 1'000'000.0);
  EXPECT_DOUBLE_EQ(*r.out_bps, 2'000'000.0);
}

TEST(CounterRatesTest, RebootNeverShowsAsSpike) {
  auto a = snap(kT0, 50'000'000, 900'000'000'000ull, 900'000'000'000ull);
  auto b = snap(kT0 + 30s, 1500, 4000, 4000);  // box came back 15 s ago
  auto r = computeRates(a, b, 1000);
  EXPECT_TRUE(r.discontinuity);
  EXPECT_FALSE(r.in_bps.has_value());
  EXPECT_FALSE(r.out_bps.has_value());
  EXPECT_NE(r.reason.find("restarted"), std::string::npos);
}

TEST(CounterRatesTest, RebootWithSmallCountersIsStillDiscontinuity) {
  // Counters after the reboot are larger than before (busy port): still no rate.
  auto a = snap(kT0, 90'000, 100, 100);
  auto b = snap(kT0 + 30s, 500, 9'000'000, 9'000'000);
  EXPECT_TRUE(computeRates(a, b, 1000).discontinuity);
}

TEST(CounterRatesTest, SysUpTimeWrapAfter497DaysIsNotAReboot) {
  auto a = snap(kT0, 4294967000u, 0, 0);
  auto b = snap(kT0 + 10s, 704u, 1250, 1250);  // 296 + 704 = 1000 ticks = 10 s
  auto r = computeRates(a, b, 1000);
  ASSERT_FALSE(r.discontinuity) << r.reason;
  EXPECT_DOUBLE_EQ(r.interval_s, 10.0);
  EXPECT_DOUBLE_EQ(*r.in_bps, 1000.0);
}

TEST(CounterRatesTest, DiscontinuityTimeChangeWithholdsRates) {
  auto a = snap(kT0, 1000, 100, 100);
  auto b = snap(kT0 + 10s, 2000, 200, 200);
  b.discontinuity_time = 1500;  // counters of this interface were reset at uptime 15 s
  auto r = computeRates(a, b, 1000);
  EXPECT_TRUE(r.discontinuity);
  EXPECT_NE(r.reason.find("ifCounterDiscontinuityTime"), std::string::npos);
}

TEST(CounterRatesTest, Counter64WentBackwardsWithoutRebootIsDiscontinuity) {
  auto a = snap(kT0, 1000, 1'000'000, 1'000'000);
  auto b = snap(kT0 + 10s, 2000, 10, 2'000'000);
  auto r = computeRates(a, b, 1000);
  EXPECT_TRUE(r.discontinuity);
  EXPECT_FALSE(r.in_bps.has_value());
  EXPECT_FALSE(r.out_bps.has_value());
}

TEST(CounterRatesTest, Counter32WrapGivesCorrectRate) {
  auto a = snap(kT0, 1000, 4294967000u, 10, CounterWidth::Bits32);
  auto b = snap(kT0 + 10s, 2000, 200, 10, CounterWidth::Bits32);
  auto r = computeRates(a, b, 100);
  ASSERT_FALSE(r.discontinuity) << r.reason;
  EXPECT_DOUBLE_EQ(*r.in_bps, 496 * 8 / 10.0);
  EXPECT_DOUBLE_EQ(*r.out_bps, 0.0);
}

TEST(CounterRatesTest, Counter32ThatCouldWrapTwiceIsWithheld) {
  // 10 Gbit/s for 10 s is 12.5 GB: a Counter32 wraps about three times.
  auto a = snap(kT0, 1000, 0, 0, CounterWidth::Bits32);
  auto b = snap(kT0 + 10s, 2000, 100, 100, CounterWidth::Bits32);
  EXPECT_TRUE(computeRates(a, b, 10000).discontinuity);
}

TEST(CounterRatesTest, RateAboveLineSpeedIsDiscarded) {
  auto a = snap(kT0, 1000, 0, 0);
  auto b = snap(kT0 + 10s, 2000, 10'000'000'000ull, 0);  // 8 Gbit/s on a 1 Gbit/s port
  auto r = computeRates(a, b, 1000);
  EXPECT_TRUE(r.discontinuity);
  EXPECT_FALSE(r.in_bps.has_value());
}

TEST(CounterRatesTest, ErrorCountersBecomePerSecondRates) {
  auto a = snap(kT0, 1000, 0, 0);
  auto b = snap(kT0 + 10s, 2000, 0, 0);
  b.in_errors = 50;
  b.out_errors = 10;
  b.in_discards = 4294967295u;  // 5 more than before, near the top of the Counter32 range
  a.in_discards = 4294967290u;
  auto r = computeRates(a, b, 1000);
  EXPECT_DOUBLE_EQ(*r.in_errors_per_s, 5.0);
  EXPECT_DOUBLE_EQ(*r.out_errors_per_s, 1.0);
  EXPECT_DOUBLE_EQ(*r.in_discards_per_s, 0.5);
}

TEST(CounterRatesTest, WidthChangeIsDiscontinuity) {
  auto a = snap(kT0, 1000, 10, 10, CounterWidth::Bits32);
  auto b = snap(kT0 + 10s, 2000, 20, 20, CounterWidth::Bits64);
  EXPECT_TRUE(computeRates(a, b, 1000).discontinuity);
}

TEST(CounterRatesTest, FallsBackToPollerClockWithoutUptime) {
  auto a = snap(kT0, 0, 0, 0);
  auto b = snap(kT0 + 4s, 0, 1000, 0);
  a.sys_uptime.reset();
  b.sys_uptime.reset();
  auto r = computeRates(a, b, std::nullopt);
  ASSERT_FALSE(r.discontinuity);
  EXPECT_DOUBLE_EQ(*r.in_bps, 2000.0);
}

TEST(UtilisationTest, FractionOfContractedBandwidth) {
  EXPECT_DOUBLE_EQ(*utilisation(50e6, 100.0), 0.5);
  EXPECT_FALSE(utilisation(50e6, std::nullopt).has_value());
  EXPECT_FALSE(utilisation(std::nullopt, 100.0).has_value());
  EXPECT_FALSE(utilisation(1.0, 0.0).has_value());
}
