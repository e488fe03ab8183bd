#include "domain/core/reach_window.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace circuitd;
using namespace std::chrono_literals;

namespace {

TimePoint at(int ms) { return TimePoint{Duration{ms}}; }

ReachSample reply(int ms, double rtt) {
  ReachSample s;
  s.target = "127.0.0.1";
  s.time = at(ms);
  s.replied = true;
  s.rtt_ms = rtt;
  return s;
}

ReachSample lost(int ms) {
  ReachSample s;
  s.target = "127.0.0.1";
  s.time = at(ms);
  s.error = "timeout";
  return s;
}

}  // namespace

TEST(ReachWindowTest, EmptyWindowHasNoStatisticsAndIsNotReachable) {
  ReachWindow w(10s);
  const auto st = w.stats();
  EXPECT_EQ(st.sent, 0u);
  EXPECT_FALSE(st.reachable());
  EXPECT_FALSE(st.min_ms.has_value());
  EXPECT_FALSE(st.jitter_ms.has_value());
  EXPECT_DOUBLE_EQ(st.loss_ratio, 0.0);
}

TEST(ReachWindowTest, CountsLossAndMinAvgMax) {
  ReachWindow w(10s);
  w.add(reply(0, 2.0));
  w.add(lost(1000));
  w.add(reply(2000, 4.0));
  w.add(reply(3000, 3.0));
  const auto st = w.stats();
  EXPECT_EQ(st.sent, 4u);
  EXPECT_EQ(st.received, 3u);
  EXPECT_DOUBLE_EQ(st.loss_ratio, 0.25);
  EXPECT_DOUBLE_EQ(*st.min_ms, 2.0);
  EXPECT_DOUBLE_EQ(*st.avg_ms, 3.0);
  EXPECT_DOUBLE_EQ(*st.max_ms, 4.0);
  EXPECT_EQ(st.consecutive_lost, 0u);
  EXPECT_EQ(*st.last_reply, at(3000));
}

TEST(ReachWindowTest, JitterFollowsRfc3550EstimatorSeededWithFirstDifference) {
  // RTTs 10, 12, 11, 15: |D| = 2, 1, 4. J = 2; J += (1-2)/16 = 1.9375; J += (4-1.9375)/16.
  ReachWindow w(1min);
  w.add(reply(0, 10));
  w.add(reply(1000, 12));
  w.add(reply(2000, 11));
  w.add(reply(3000, 15));
  const double j2 = 2.0 + (1.0 - 2.0) / 16.0;
  const double j3 = j2 + (4.0 - j2) / 16.0;
  EXPECT_DOUBLE_EQ(*w.stats().jitter_ms, j3);
}

TEST(ReachWindowTest, ConstantRttHasZeroJitter) {
  ReachWindow w(1min);
  for (int i = 0; i < 5; ++i) w.add(reply(i * 1000, 0.5));
  EXPECT_DOUBLE_EQ(*w.stats().jitter_ms, 0.0);
}

TEST(ReachWindowTest, SamplesOlderThanSpanLeaveTheWindow) {
  ReachWindow w(3s);
  w.add(reply(0, 1));
  w.add(reply(1000, 1));
  w.add(lost(2000));
  w.add(lost(3000));  // window is now (0, 3000]: the sample at 0 left
  auto st = w.stats();
  EXPECT_EQ(st.sent, 3u);
  EXPECT_EQ(st.received, 1u);
  EXPECT_TRUE(st.reachable());
  w.add(lost(4000));  // (1000, 4000]: only losses remain
  st = w.stats();
  EXPECT_EQ(st.sent, 3u);
  EXPECT_EQ(st.received, 0u);
  EXPECT_FALSE(st.reachable());
  EXPECT_EQ(st.consecutive_lost, 3u);
  EXPECT_DOUBLE_EQ(st.loss_ratio, 1.0);
}

TEST(ReachWindowTest, AdvanceEmptiesTheWindowWithoutSamples) {
  ReachWindow w(3s);
  w.add(reply(0, 1));
  w.advance(at(2999));
  EXPECT_EQ(w.size(), 1u);
  w.advance(at(3000));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(w.stats().reachable());
}

TEST(ReachWindowTest, LateTimeoutIsOrderedBySendTime) {
  // A timeout for the probe sent at 1000 arrives after the reply of the probe sent at 2000.
  ReachWindow w(1min);
  w.add(reply(0, 1));
  w.add(reply(2000, 1));
  w.add(lost(1000));
  const auto st = w.stats();
  EXPECT_EQ(st.consecutive_lost, 0u) << "the newest probe (2000) was answered";
  EXPECT_EQ(*st.last_reply, at(2000));
}

TEST(ReachWindowTest, MaxSamplesCapsTheWindow) {
  ReachWindow w(1h, 2);
  w.add(lost(0));
  w.add(reply(1000, 1));
  w.add(reply(2000, 3));
  const auto st = w.stats();
  EXPECT_EQ(st.sent, 2u);
  EXPECT_DOUBLE_EQ(st.loss_ratio, 0.0);
  EXPECT_DOUBLE_EQ(*st.avg_ms, 2.0);
}

TEST(ReachWindowTest, CoarseRttIsUsedWhenExactIsAbsent) {
  ReachWindow w(1min);
  ReachSample s = reply(0, 0);
  s.rtt_ms.reset();
  s.rtt = Duration{7};
  w.add(s);
  EXPECT_DOUBLE_EQ(*w.stats().max_ms, 7.0);
}
