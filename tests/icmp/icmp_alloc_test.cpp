// Steady-state probing must not allocate per probe: counts global operator new calls while 100
// loopback targets are probed.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <iostream>
#include <new>

#include "daemon/runtime/system_clock.hpp"
#include "probes/icmp/icmp_prober.hpp"
#include "tests/icmp/test_util.hpp"

namespace {
std::atomic<std::size_t> g_allocations{0};
}

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace circuitd;
using namespace circuitd::icmp;
using namespace std::chrono_literals;

TEST(IcmpAllocationTest, SteadyStateProbingDoesNotAllocatePerProbe) {
  const auto missing = test::missingPrerequisite(false);
  ASSERT_TRUE(missing.empty()) << missing;
  boost::asio::io_context io;
  SystemClock clock;
  std::size_t samples = 0, replied = 0;
  IcmpProber prober(io, clock, [&](const ReachSample& s) {
    ++samples;
    replied += s.replied;
  });
  ASSERT_TRUE(prober.start());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(prober.addTarget("127.0.2." + std::to_string(i + 1),
                                 {.interval = 100ms, .timeout = 500ms}));
  }
  // Warm up: every target probed a few times, tables and Asio's handler memory recycled.
  ASSERT_TRUE(test::runUntil(
      io, [&] { return samples >= 500; }, 10s));
  const std::size_t before_alloc = g_allocations.load();
  const std::size_t before_samples = samples;
  ASSERT_TRUE(test::runUntil(
      io, [&] { return samples >= before_samples + 2000; }, 20s));
  const std::size_t allocs = g_allocations.load() - before_alloc;
  const std::size_t probes = samples - before_samples;
  std::cout << allocs << " allocations during " << probes << " steady-state probes\n";
  EXPECT_EQ(replied, samples);
  EXPECT_LT(allocs, probes / 100) << allocs << " allocations for " << probes << " probes";
}
