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
  // Spend the whole bucket at once on entries forced due together.
  for (std::uint32_t i = 2; i < 2 + SendScheduler::kMinBurst + 1; ++i) s.add(i, 1, 10 * kSec, 0);
  const Nanos late = 20 * kSec;
  EXPECT_EQ(s.burstBound(), SendScheduler::kMinBurst) << "2.5 probes/s: the floor applies";
  EXPECT_EQ(s.popDue(late, [](std::uint32_t, std::uint32_t) { return true; }),
            SendScheduler::kMinBurst);
  const double rate = 2.0 + (SendScheduler::kMinBurst + 1) / 10.0;
  EXPECT_EQ(s.nextSendable(late),
            late + static_cast<Nanos>(std::ceil(1e9 / (rate * SendScheduler::kBurstFactor))));
}

TEST(SendSchedulerTest, AutoQuantumCarriesAFewProbesPerTickAtLowRates) {
  EXPECT_EQ(SendScheduler::autoQuantum(10000), SendScheduler::kMinQuantum);
  EXPECT_EQ(SendScheduler::autoQuantum(8000), 1 * kMs);
  EXPECT_EQ(SendScheduler::autoQuantum(4000), 2 * kMs);
  EXPECT_EQ(SendScheduler::autoQuantum(1000), 8 * kMs);
  EXPECT_EQ(SendScheduler::autoQuantum(100), SendScheduler::kMaxQuantum);
  EXPECT_EQ(SendScheduler::autoQuantum(0), SendScheduler::kMaxQuantum);

  SendScheduler s;  // automatic
  EXPECT_EQ(s.quantum(), SendScheduler::kMaxQuantum) << "nothing scheduled yet";
  const std::uint32_t n = 1000;
  for (std::uint32_t i = 0; i < n; ++i) s.add(i, 1, kSec, 0);
  ASSERT_EQ(s.quantum(), 8 * kMs);
  EXPECT_EQ(s.burstBound(), 16u) << "twice the 8 probes one quantum carries";
  // Tick once per quantum for three seconds, as the transport does.
  std::vector<int> per_target(n, 0);
  std::vector<std::size_t> ticks;
  // Ticks at 0, 8, ..., 3000 ms cover three full rounds; a target whose phase is 0 gets a fourth.
  for (Nanos t = 0; t <= 3 * kSec; t += s.quantum()) {
    ticks.push_back(s.popDue(t, [&](std::uint32_t slot, std::uint32_t) {
      ++per_target[slot];
      return true;
    }));
  }
  for (std::uint32_t i = 1; i < n; ++i) ASSERT_EQ(per_target[i], 3) << "target " << i;
  std::sort(ticks.begin(), ticks.end());
  EXPECT_LE(ticks.back(), s.burstBound());
  EXPECT_GE(ticks[ticks.size() / 2], 7u) << "a tick carries several probes";
  EXPECT_LE(ticks[ticks.size() / 2], 9u);
  EXPECT_EQ(s.late(), 0u) << "ticks on time: nothing goes late";

  // Removing targets lowers the rate and lengthens the quantum again.
  for (std::uint32_t i = 0; i < 900; ++i) s.remove(kSec);
  EXPECT_EQ(s.quantum(), SendScheduler::kMaxQuantum);
  SendScheduler fixed(2 * kMs);
  for (std::uint32_t i = 0; i < n; ++i) fixed.add(i, 1, kSec, 0);
  EXPECT_EQ(fixed.quantum(), 2 * kMs) << "a configured quantum is kept";
}

namespace {

// Drives a scheduler through the given tick times and checks the burst bound on every tick and
// over every span: at most B per call, and at most B + kBurstFactor * rate * W within any W.
struct BoundChecker {
  SendScheduler& s;
  std::vector<std::pair<Nanos, std::size_t>> ticks;
  std::vector<int> per_target;

  void tick(Nanos t) {
    const std::size_t bound = s.burstBound();
    const std::size_t sent = s.popDue(t, [&](std::uint32_t slot, std::uint32_t) {
      ++per_target[slot];
      return true;
    });
    ASSERT_LE(sent, bound) << "tick at " << t / kMs << " ms";
    ticks.emplace_back(t, sent);
  }
  void checkSpans() const {
    const double per_ns = SendScheduler::kBurstFactor * s.rate() / 1e9;
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      std::size_t n = 0;
      for (std::size_t j = i; j < ticks.size(); ++j) {
        n += ticks[j].second;
        const double w = static_cast<double>(ticks[j].first - ticks[i].first);
        ASSERT_LE(static_cast<double>(n), static_cast<double>(s.burstBound()) + per_ns * w + 1e-6)
            << "span " << ticks[i].first / kMs << ".." << ticks[j].first / kMs << " ms";
        if (w > 50.0 * kMs) break;
      }
    }
  }
};

}  // namespace

TEST(SendSchedulerTest, NoTickExceedsTheBoundEvenAfterAStall) {
  SendScheduler s(kMs);
  const std::uint32_t n = 10000;
  for (std::uint32_t i = 0; i < n; ++i) s.add(i, 1, kSec, 0);
  ASSERT_EQ(s.burstBound(), 20u) << "10 probes per 1 ms quantum, twice that per tick";
  BoundChecker c{s, {}, std::vector<int>(n, 0)};
  Nanos t = 0;
  for (; t < 500 * kMs; t += kMs) c.tick(t);
  EXPECT_EQ(s.late(), 0u);
  // The loop stalls for 300 ms: 3,000 probes are due when it wakes. None leaves in a burst.
  t += 300 * kMs;
  for (; t < 3 * kSec; t += kMs) c.tick(t);
  c.checkSpans();
  // The backlog drained at up to twice the rate: the held-back probes went late, none was lost.
  EXPECT_GE(s.late(), 2900u);
  EXPECT_LT(s.late(), 6000u) << "the backlog drained within about another stall's length";
  EXPECT_EQ(s.skipped(), 0u);
  EXPECT_GE(s.maxLateness(), 290 * kMs);
  for (std::uint32_t i = 0; i < n; ++i) {
    ASSERT_GE(c.per_target[i], 2) << "target " << i;
    ASSERT_LE(c.per_target[i], 3) << "target " << i;
  }
}

TEST(SendSchedulerTest, FrequentAndJitteredCallsKeepTheBound) {
  // Calls more often than the quantum and late by up to three quanta: the bucket, not the
  // caller's discipline, keeps every call and every span within the bound.
  SendScheduler s;  // automatic: 2,000/s -> 4 ms
  const std::uint32_t n = 2000;
  for (std::uint32_t i = 0; i < n; ++i) s.add(i, 1, kSec, 0);
  ASSERT_EQ(s.quantum(), 4 * kMs);
  BoundChecker c{s, {}, std::vector<int>(n, 0)};
  std::uint32_t lcg = 12345;
  Nanos t = 0;
  while (t < 4 * kSec) {
    c.tick(t);
    lcg = lcg * 1664525u + 1013904223u;
    t += (lcg >> 8) % (3 * s.quantum()) + 100'000;
  }
  c.checkSpans();
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_GE(c.per_target[i], 3) << "target " << i;
}

TEST(SendSchedulerTest, StallLongerThanTheIntervalSkipsRounds) {
  SendScheduler s(kMs);
  for (std::uint32_t i = 0; i < 10; ++i) s.add(i, 1, 100 * kMs, 0);
  std::size_t sent = 0;
  for (Nanos t = 0; t < 100 * kMs; t += kMs) sent += s.popDue(t, [](auto, auto) { return true; });
  EXPECT_EQ(sent, 10u);
  // 1 s without a tick: ten rounds fell due; each target goes once, the rest are skipped.
  for (Nanos t = 1100 * kMs; t < 1200 * kMs; t += kMs)
    sent += s.popDue(t, [](auto, auto) { return true; });
  // Each target goes at most twice in the 100 ms after the stall (once for the missed rounds, once
  // on its phase), never ten times.
  EXPECT_GE(sent, 20u);
  EXPECT_LE(sent, 30u + 10u);
  EXPECT_GE(s.skipped(), 70u);
}
