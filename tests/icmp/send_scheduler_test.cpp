#include "probes/icmp/send_scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

using namespace circuitd::icmp;

namespace {
constexpr Nanos kMs = 1'000'000;
constexpr Nanos kSec = 1'000'000'000;
}  // namespace

TEST(SendSchedulerTest, VanDerCorputMirrorsBits) {
  EXPECT_DOUBLE_EQ(SendScheduler::vanDerCorput(0), 0.0);
  EXPECT_DOUBLE_EQ(SendScheduler::vanDerCorput(1), 0.5);
  EXPECT_DOUBLE_EQ(SendScheduler::vanDerCorput(2), 0.25);
  EXPECT_DOUBLE_EQ(SendScheduler::vanDerCorput(3), 0.75);
  EXPECT_DOUBLE_EQ(SendScheduler::vanDerCorput(4), 0.125);
}

TEST(SendSchedulerTest, TenThousandTargetsAreSpreadAcrossTheSecond) {
  SendScheduler s(kMs);
  const std::uint32_t n = 10000;
  for (std::uint32_t i = 0; i < n; ++i) s.add(i, 1, kSec, 0);
  EXPECT_NEAR(s.rate(), 10000.0, 1e-6);
  // Tick every millisecond for three seconds; record sends per tick and per target.
  std::vector<int> per_target(n, 0);
  std::size_t max_tick = 0;
  for (Nanos t = 0; t <= 3 * kSec + 20 * kMs; t += kMs) {
    const std::size_t sent = s.popDue(t, [&](std::uint32_t slot, std::uint32_t) {
      ++per_target[slot];
      return true;
    });
    max_tick = std::max(max_tick, sent);
  }
  // Ideal spread is 10 per millisecond; the phases put at most a few more in one tick.
  EXPECT_LE(max_tick, 14u);
  EXPECT_GE(max_tick, 10u);
  // Three rounds each; the few targets whose phase falls in the first 20 ms got a fourth.
  std::size_t fourth = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    ASSERT_GE(per_target[i], 3) << "target " << i;
    ASSERT_LE(per_target[i], 4) << "target " << i;
    fourth += per_target[i] == 4;
  }
  EXPECT_NEAR(static_cast<double>(fourth), 10000 * 0.021, 30.0);
}

TEST(SendSchedulerTest, KeepsEachTargetOnItsInterval) {
  SendScheduler s(kMs);
  s.add(0, 1, kSec, 0);
  s.add(1, 1, 10 * kSec, 0);
  std::vector<Nanos> sends0, sends1;
  for (Nanos t = 0; t < 30 * kSec; t += kMs) {
    s.popDue(t, [&](std::uint32_t slot, std::uint32_t) {
      (slot == 0 ? sends0 : sends1).push_back(t);
      return true;
    });
  }
  ASSERT_EQ(sends0.size(), 30u);
  ASSERT_EQ(sends1.size(), 3u);
  for (std::size_t i = 1; i < sends0.size(); ++i) EXPECT_EQ(sends0[i] - sends0[i - 1], kSec);
  EXPECT_EQ(sends1[1] - sends1[0], 10 * kSec);
}

TEST(SendSchedulerTest, RemovedEntryIsDroppedWhenItComesDue) {
  SendScheduler s(kMs);
  s.add(0, 1, kSec, 0);
  s.add(1, 1, kSec, 0);
  s.remove(kSec);
  std::set<std::uint32_t> seen;
  for (Nanos t = 0; t < 3 * kSec; t += kMs) {
    s.popDue(t, [&](std::uint32_t slot, std::uint32_t) {
      if (slot == 1) return false;  // the transport says: gone
      seen.insert(slot);
      return true;
    });
  }
  EXPECT_EQ(seen, std::set<std::uint32_t>{0});
  EXPECT_EQ(s.size(), 1u);
  EXPECT_NEAR(s.rate(), 1.0, 1e-9);
}

TEST(SendSchedulerTest, BacklogAfterStallDrainsWithoutBurst) {
  SendScheduler s(kMs);
  for (std::uint32_t i = 0; i < 1000; ++i) s.add(i, 1, kSec, 0);
  // The process stalls for 200 ms: 200 probes are due at once when it wakes.
  std::size_t first = s.popDue(200 * kMs, [](std::uint32_t, std::uint32_t) { return true; });
  EXPECT_LE(first, SendScheduler::kMinBurst) << "the bucket holds at most its capacity";
  std::size_t total = first;
  Nanos t = 200 * kMs;
  while (s.nextDue() <= 200 * kMs) {
    t += kMs;
    const std::size_t sent = s.popDue(t, [](std::uint32_t, std::uint32_t) { return true; });
    EXPECT_LE(sent, SendScheduler::kMinBurst);
    total += sent;
    ASSERT_LT(t, 2 * kSec) << "backlog never drained";
  }
  EXPECT_GE(total, 200u);
}

TEST(SendSchedulerTest, TargetsAddedAtRuntimeKeepTheSpread) {
  SendScheduler s(kMs);
  for (std::uint32_t i = 0; i < 500; ++i) s.add(i, 1, kSec, 0);
  std::size_t max_tick = 0;
  for (Nanos t = 0; t < 4 * kSec; t += kMs) {
    if (t == 1500 * kMs) {
      for (std::uint32_t i = 500; i < 2000; ++i) s.add(i, 1, kSec, t);
    }
    max_tick = std::max(max_tick, s.popDue(t, [](std::uint32_t, std::uint32_t) { return true; }));
  }
  EXPECT_LE(max_tick, SendScheduler::kMinBurst) << "2000/s at 1 ms ticks: about 2 per tick";
}

TEST(SendSchedulerTest, NextSendableWaitsForAToken) {
  SendScheduler s(kMs);
  for (std::uint32_t i = 0; i < 2; ++i) s.add(i, 1, kSec, 0);
  // Let the bucket fill, then spend it all at once on entries forced due together.
  for (std::uint32_t i = 2; i < 2 + SendScheduler::kMinBurst + 1; ++i) s.add(i, 1, 10 * kSec, 0);
  const Nanos late = 20 * kSec;
  EXPECT_EQ(s.popDue(late, [](std::uint32_t, std::uint32_t) { return true; }), SendScheduler::kMinBurst);
  const double rate = 2.0 + (SendScheduler::kMinBurst + 1) / 10.0;
  EXPECT_EQ(s.nextSendable(late), late + static_cast<Nanos>(std::ceil(1e9 / (rate * SendScheduler::kHeadroom))));
}
