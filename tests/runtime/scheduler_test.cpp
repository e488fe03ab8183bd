// The scheduler is pure: a FakeClock-style TimePoint goes in, keys come out.
#include "daemon/runtime/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

namespace circuitd::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TimePoint t0() { return fromUnixMs(1'700'000'000'000); }

TEST(SchedulerTest, FirstRunsOfAFleetAddedAtOnceAreSpreadOverTheInterval) {
  Scheduler s({Duration{0}, 0.0, 42});
  for (int i = 0; i < 1000; ++i) s.add("t" + std::to_string(i), seconds{10}, t0());
  // Count first runs per one-second bucket: a uniform spread puts ~100 in each.
  std::map<long, int> buckets;
  for (int i = 0; i < 1000; ++i) {
    auto due = *s.dueTime("t" + std::to_string(i));
    ASSERT_GE(due, t0());
    ASSERT_LT(due, t0() + seconds{10});
    ++buckets[(due - t0()) / seconds{1}];
  }
  ASSERT_EQ(buckets.size(), 10u);
  for (const auto& [b, n] : buckets) {
    EXPECT_GT(n, 60) << "bucket " << b;
    EXPECT_LT(n, 140) << "bucket " << b;
  }
}

TEST(SchedulerTest, NoTwoRunsFallCloserThanTheMinimumSeparation) {
  Scheduler s({milliseconds{2}, 0.1, 7});
  // 2000 targets on a 10 s interval: 5 ms average spacing, so the 2 ms floor binds often.
  for (int i = 0; i < 2000; ++i) s.add("t" + std::to_string(i), seconds{10}, t0());
  TimePoint now = t0();
  std::vector<TimePoint> fired;
  for (int step = 0; step < 30'000; ++step) {  // 30 s of 1 ms steps
    now += milliseconds{1};
    auto keys = s.popDue(now);
    ASSERT_LE(keys.size(), 1u) << "two runs in the same millisecond at step " << step;
    for (size_t k = 0; k < keys.size(); ++k) fired.push_back(now);
  }
  std::vector<TimePoint> dues;
  for (int i = 0; i < 2000; ++i) dues.push_back(*s.dueTime("t" + std::to_string(i)));
  std::sort(dues.begin(), dues.end());
  for (size_t i = 1; i < dues.size(); ++i) ASSERT_GE(dues[i] - dues[i - 1], milliseconds{2});
  // Every target ran about three times in 30 s.
  EXPECT_GT(fired.size(), 2000u * 2);
  EXPECT_LT(fired.size(), 2000u * 4);
}

TEST(SchedulerTest, EachTargetRunsOnItsOwnIntervalWithBoundedJitter) {
  Scheduler s({Duration{0}, 0.1, 3});
  s.add("fast", seconds{1}, t0());
  s.add("slow", seconds{30}, t0());
  std::map<std::string, std::vector<TimePoint>> runs;
  for (TimePoint now = t0(); now < t0() + seconds{300}; now += milliseconds{10})
    for (const auto& k : s.popDue(now)) runs[k].push_back(now);
  ASSERT_GE(runs["fast"].size(), 280u);
  ASSERT_LE(runs["fast"].size(), 320u);
  ASSERT_GE(runs["slow"].size(), 9u);
  ASSERT_LE(runs["slow"].size(), 11u);
  for (size_t i = 1; i < runs["slow"].size(); ++i) {
    const auto gap = runs["slow"][i] - runs["slow"][i - 1];
    EXPECT_GE(gap, seconds{27} - milliseconds{10});
    EXPECT_LE(gap, seconds{33} + milliseconds{10});
  }
}

TEST(SchedulerTest, AStalledLoopResumesWithoutABurstOfCatchUpRuns) {
  Scheduler s({Duration{0}, 0.0, 5});
  s.add("a", seconds{1}, t0());
  // The loop was blocked for a minute: one run, not sixty.
  auto keys = s.popDue(t0() + seconds{60});
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_TRUE(s.popDue(t0() + seconds{60}).empty());
  EXPECT_GT(*s.dueTime("a"), t0() + seconds{60});
}

TEST(SchedulerTest, RemovedTargetsNeverRunAgainAndReAddReplacesTheInterval) {
  Scheduler s({Duration{0}, 0.0, 9});
  s.add("a", seconds{1}, t0());
  s.add("b", seconds{1}, t0());
  EXPECT_TRUE(s.remove("a"));
  EXPECT_FALSE(s.remove("a"));
  EXPECT_FALSE(s.contains("a"));
  for (TimePoint now = t0(); now < t0() + seconds{10}; now += milliseconds{100})
    for (const auto& k : s.popDue(now)) EXPECT_EQ(k, "b");
  s.add("b", seconds{5}, t0() + seconds{10});
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.targets().front().second, seconds{5});
}

TEST(SchedulerTest, NextDueIsTheEarliestRunAndEmptyWithoutTargets) {
  Scheduler s;
  EXPECT_FALSE(s.nextDue());
  s.add("a", seconds{10}, t0());
  s.add("b", seconds{10}, t0());
  EXPECT_EQ(*s.nextDue(), std::min(*s.dueTime("a"), *s.dueTime("b")));
}

}  // namespace
}  // namespace circuitd::runtime
