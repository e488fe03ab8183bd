// IcmpProber against real loopback targets (127.0.0.0/8 and ::1) with real ICMP sockets.
#include "probes/icmp/icmp_prober.hpp"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <vector>

#include "daemon/runtime/system_clock.hpp"
#include "probes/icmp/send_scheduler.hpp"
#include "tests/icmp/test_util.hpp"
#include "tests/support/process.hpp"

using namespace circuitd;
using namespace circuitd::icmp;
using namespace std::chrono_literals;
using circuitd::icmp::test::missingPrerequisite;
using circuitd::icmp::test::runUntil;

namespace {

class IcmpProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto missing = missingPrerequisite(false);
    ASSERT_TRUE(missing.empty()) << missing;
  }
  boost::asio::io_context io_;
  FakeClock clock_{fromUnixMs(1'700'000'000'000)};
  std::map<std::string, std::vector<ReachSample>> samples_;
  std::size_t total() const {
    std::size_t n = 0;
    for (const auto& [k, v] : samples_) n += v.size();
    return n;
  }
};

}  // namespace

TEST_F(IcmpProberTest, LoopbackTargetsAnswerAndRepliesAreMatchedToTheirTarget) {
  IcmpProber prober(io_, clock_, [&](const ReachSample& s) { samples_[s.target].push_back(s); });
  ASSERT_TRUE(prober.start());
  const std::vector<std::string> targets{"127.0.0.1", "127.0.0.2", "127.1.2.3", "::1"};
  for (const auto& t : targets) {
    ASSERT_TRUE(prober.addTarget(t, {.interval = 100ms, .timeout = 500ms, .max_probes = 5}));
  }
  ASSERT_TRUE(runUntil(
      io_, [&] { return total() == 20; }, 5s))
      << "got " << total();
  for (const auto& t : targets) {
    ASSERT_EQ(samples_[t].size(), 5u) << t;
    for (const auto& s : samples_[t]) {
      EXPECT_EQ(s.target, t);
      EXPECT_TRUE(s.replied) << t << ": " << s.error;
      ASSERT_TRUE(s.rtt_ms.has_value());
      EXPECT_GT(*s.rtt_ms, 0.0);
      EXPECT_LT(*s.rtt_ms, 100.0) << "loopback";
      EXPECT_EQ(s.time, clock_.now()) << "stamped by the injected clock";
    }
  }
  const auto st = prober.stats();
  EXPECT_EQ(st.sent, 20u);
  EXPECT_EQ(st.replies, 20u);
  EXPECT_EQ(st.timeouts, 0u);
  // Nothing more after max_probes.
  runUntil(
      io_, [] { return false; }, 300ms);
  EXPECT_EQ(total(), 20u);
}

TEST_F(IcmpProberTest, TwoProbersInOneProcessDoNotStealEachOthersReplies) {
  std::map<std::string, std::vector<ReachSample>> other;
  IcmpProber a(io_, clock_, [&](const ReachSample& s) { samples_[s.target].push_back(s); },
               {.mode = SocketMode::Raw});
  IcmpProber b(io_, clock_, [&](const ReachSample& s) { other[s.target].push_back(s); },
               {.mode = SocketMode::Raw});
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(a.addTarget("127.0.0.1", {.interval = 50ms, .timeout = 500ms, .max_probes = 10}));
  ASSERT_TRUE(b.addTarget("127.0.0.1", {.interval = 50ms, .timeout = 500ms, .max_probes = 10}));
  ASSERT_TRUE(runUntil(
      io_, [&] { return samples_["127.0.0.1"].size() == 10 && other["127.0.0.1"].size() == 10; },
      5s));
  EXPECT_EQ(a.stats().replies, 10u);
  EXPECT_EQ(b.stats().replies, 10u);
  // Raw sockets see every echo reply on the host: each saw the other's and ignored it.
  EXPECT_GE(a.stats().ignored, 1u);
  EXPECT_GE(b.stats().ignored, 1u);
  for (const auto& s : samples_["127.0.0.1"]) EXPECT_TRUE(s.replied);
  for (const auto& s : other["127.0.0.1"]) EXPECT_TRUE(s.replied);
}

TEST_F(IcmpProberTest, TargetsCanBeAddedAndRemovedWhileRunning) {
  IcmpProber* self = nullptr;
  IcmpProber prober(io_, clock_, [&](const ReachSample& s) {
    samples_[s.target].push_back(s);
    if (s.target == "127.0.0.5" && samples_[s.target].size() == 3) {
      // Reload from inside the callback, as a config reload handler might.
      EXPECT_TRUE(self->removeTarget("127.0.0.5"));
      EXPECT_TRUE(self->addTarget("127.0.0.6", {.interval = 50ms, .timeout = 500ms}));
    }
  });
  self = &prober;
  ASSERT_TRUE(prober.addTarget("127.0.0.5", {.interval = 50ms, .timeout = 500ms}));
  ASSERT_TRUE(prober.start()) << "targets added before start() begin at start()";
  ASSERT_TRUE(runUntil(
      io_, [&] { return samples_["127.0.0.6"].size() >= 5; }, 5s));
  EXPECT_EQ(samples_["127.0.0.5"].size(), 3u) << "no sample after removal";
  EXPECT_EQ(prober.targetCount(), 1u);
  EXPECT_FALSE(prober.removeTarget("127.0.0.5"));
}

TEST_F(IcmpProberTest, RejectsBadAddressesAndDuplicates) {
  IcmpProber prober(io_, clock_, [](const ReachSample&) {});
  ASSERT_TRUE(prober.start());
  const auto bad = prober.addTarget("127.0.0.300");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "127.0.0.300");
  EXPECT_FALSE(prober.addTarget("localhost")) << "names are resolved by the caller";
  EXPECT_TRUE(prober.addTarget("127.0.0.1"));
  EXPECT_FALSE(prober.addTarget("127.0.0.1"));
  EXPECT_FALSE(prober.addTarget("127.0.0.2", {.interval = 0ms}));
}

TEST_F(IcmpProberTest, SendsAreSpreadAcrossTheIntervalNotBurst) {
  IcmpProber prober(io_, clock_, [&](const ReachSample& s) { samples_[s.target].push_back(s); },
                    {.send_quantum = 1ms});
  std::vector<std::pair<std::int64_t, std::size_t>> batches;
  prober.setSendObserver([&](std::int64_t ns, std::size_t n) { batches.emplace_back(ns, n); });
  ASSERT_TRUE(prober.start());
  for (int i = 0; i < 200; ++i) {
    const std::string a = "127.0.1." + std::to_string(i + 1);
    ASSERT_TRUE(prober.addTarget(a, {.interval = 1s, .timeout = 1s, .max_probes = 1}));
  }
  ASSERT_TRUE(runUntil(
      io_, [&] { return total() == 200; }, 5s));
  std::size_t sent = 0, biggest = 0;
  for (const auto& [ns, n] : batches) {
    sent += n;
    biggest = std::max(biggest, n);
  }
  EXPECT_EQ(sent, 200u);
  // 200 targets are placed about 4 ms apart and the tick is 1 ms, so batches hold one probe;
  // a tick delayed by a busy machine may carry a few, never more than the bucket's floor.
  EXPECT_LE(biggest, SendScheduler::kMinBurst);
  EXPECT_LT(batches.size(), 200u + 1) << "one batch per probe at most";
  EXPECT_GT(batches.size(), 150u) << "most probes leave alone";
  // The round spreads over the interval rather than leaving in the first milliseconds.
  const auto span_ms = (batches.back().first - batches.front().first) / 1'000'000;
  EXPECT_GT(span_ms, 900) << "sends spread over " << span_ms << " ms";
  // And no 100 ms slice holds much more than its share (20).
  std::size_t worst = 0;
  for (std::size_t i = 0, j = 0; i < batches.size(); ++i) {
    while (batches[i].first - batches[j].first >= 100'000'000) ++j;
    std::size_t n = 0;
    for (std::size_t k = j; k <= i; ++k) n += batches[k].second;
    worst = std::max(worst, n);
  }
  EXPECT_LE(worst, 40u);
}

TEST_F(IcmpProberTest, StartFailsWithClearErrorWithoutPrivilegeOrPingGroup) {
  // A child drops to nobody, where neither raw sockets (no CAP_NET_RAW) nor datagram sockets
  // (gid not in net.ipv4.ping_group_range) are allowed, in a private network namespace so that
  // the host's ping_group_range does not matter.
  const std::string got = circuitd::testing::runInChild([]() -> std::string {
    if (::unshare(CLONE_NEWNET) != 0) return "unshare failed";
    std::ofstream("/proc/sys/net/ipv4/ping_group_range") << "1 0";
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
      return "could not drop privileges";
    boost::asio::io_context io;
    SystemClock clock;
    IcmpProber p(io, clock, [](const ReachSample&) {});
    auto r = p.start();
    return r ? "OK" : r.error().str();
  });
  EXPECT_NE(got, "OK") << "start() must fail without privilege";
  EXPECT_NE(got.find("cannot open an IPv4 ICMP socket"), std::string::npos) << got;
  EXPECT_NE(got.find("CAP_NET_RAW"), std::string::npos) << got;
  EXPECT_NE(got.find("ping_group_range '1 0'"), std::string::npos) << got;
}

TEST_F(IcmpProberTest, DatagramSocketsWorkWhereThePingGroupAllowsThem) {
  // In a private namespace that allows every group, the unprivileged socket kind is used (and
  // in SocketMode::Auto preferred): the kernel picks the identifier and filters replies.
  const std::string got = circuitd::testing::runInChild([]() -> std::string {
    if (::unshare(CLONE_NEWNET) != 0 ||
        circuitd::testing::run({"ip", "link", "set", "lo", "up"}).exit_code != 0)
      return "namespace setup failed";
    std::ofstream("/proc/sys/net/ipv4/ping_group_range") << "0 2147483647";
    boost::asio::io_context io;
    SystemClock clock;
    std::map<std::string, int> replies;
    IcmpProber p(io, clock, [&](const ReachSample& s) { replies[s.target] += s.replied; });
    auto r = p.start();
    if (!r) return r.error().str();
    const auto info = p.socketInfo();
    p.addTarget("127.0.0.1", {.interval = 50ms, .timeout = 500ms, .max_probes = 4});
    if (info.v6_open) p.addTarget("::1", {.interval = 50ms, .timeout = 500ms, .max_probes = 4});
    runUntil(
        io, [&] { return replies["127.0.0.1"] == 4 && replies["::1"] == 4; }, 5s);
    return "v4raw=" + std::to_string(info.v4_raw) + " v6open=" + std::to_string(info.v6_open) +
           " v6raw=" + std::to_string(info.v6_raw) + " r4=" + std::to_string(replies["127.0.0.1"]) +
           " r6=" + std::to_string(replies["::1"]);
  });
  EXPECT_EQ(got, "v4raw=0 v6open=1 v6raw=0 r4=4 r6=4");
}

TEST_F(IcmpProberTest, StopAndStartAgainProbesEachTargetOnce) {
  IcmpProber prober(io_, clock_, [&](const ReachSample& s) { samples_[s.target].push_back(s); });
  ASSERT_TRUE(prober.start());
  ASSERT_TRUE(prober.addTarget("127.0.0.1", {.interval = 50ms, .timeout = 500ms, .max_probes = 3}));
  ASSERT_TRUE(runUntil(
      io_, [&] { return total() == 3; }, 5s));
  prober.stop();
  ASSERT_TRUE(prober.start());
  ASSERT_TRUE(runUntil(
      io_, [&] { return total() == 6; }, 5s));
  runUntil(
      io_, [] { return false; }, 300ms);
  EXPECT_EQ(total(), 6u) << "the target was scheduled once, not twice, after restart";
  EXPECT_EQ(prober.stats().replies, 6u);
}

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_F(IcmpProberTest, LazilyReadRepliesKeepTheirRttAndAgreeWithReadinessWakeups) {
  // Two probers on one loop probe the same 500 loopback targets at 1,000 probes/s each: the
  // automatic quantum is 8 ms. The lazy one reads replies at its next tick, so each reply waits
  // about 8 ms in the socket; the other wakes on readiness for every reply. The kernel's arrival
  // stamps make both measure the same RTT; had the lazy one timed replies when it read them, its
  // RTTs would be about the quantum.
  std::vector<double> lazy_rtt, ready_rtt;
  std::size_t lazy_lost = 0, ready_lost = 0;
  IcmpProber lazy(io_, clock_, [&](const ReachSample& s) {
    if (s.replied)
      lazy_rtt.push_back(*s.rtt_ms);
    else
      ++lazy_lost;
  });
  IcmpProber ready(io_, clock_,
                   [&](const ReachSample& s) {
                     if (s.replied)
                       ready_rtt.push_back(*s.rtt_ms);
                     else
                       ++ready_lost;
                   },
                   {.reply_reading = ReplyReading::OnReadiness});
  ASSERT_TRUE(lazy.start());
  ASSERT_TRUE(ready.start());
  constexpr int kTargets = 500, kRounds = 6;
  for (int i = 0; i < kTargets; ++i) {
    const std::string a = "127.3." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    const TargetOptions t{.interval = 500ms, .timeout = 1s, .max_probes = kRounds};
    ASSERT_TRUE(lazy.addTarget(a, t));
    ASSERT_TRUE(ready.addTarget(a, t));
  }
  ASSERT_EQ(lazy.stats().send_quantum_ns, 8'000'000);
  const std::size_t expected = kTargets * kRounds;
  ASSERT_TRUE(runUntil(
      io_,
      [&] {
        return lazy_rtt.size() + lazy_lost == expected && ready_rtt.size() + ready_lost == expected;
      },
      20s))
      << lazy_rtt.size() << " + " << ready_rtt.size();
  EXPECT_EQ(lazy_lost, 0u);
  EXPECT_EQ(ready_lost, 0u);

  const auto ls = lazy.stats(), rs = ready.stats();
  // The lazy prober read at its ticks (a reply arrival never woke it, bar one-off wake-ups at
  // the start and the end); the other woke for replies at most of its ticks.
  EXPECT_LE(ls.read_wakeups, 10u) << "ticks " << ls.ticks;
  EXPECT_GE(rs.read_wakeups, rs.ticks / 2) << "ticks " << rs.ticks;
  EXPECT_LT(ls.ticks + ls.read_wakeups, rs.ticks + rs.read_wakeups);

  const double lazy_p50 = median(lazy_rtt), ready_p50 = median(ready_rtt);
  EXPECT_LT(lazy_p50, 1.0) << "ms; a reply read at the next tick waited ~8 ms in the socket";
  EXPECT_NEAR(lazy_p50, ready_p50, 0.5) << "ms";
}

TEST_F(IcmpProberTest, TicksNeverExceedTheBurstBound) {
  // 2,000 targets at 1 s: automatic 4 ms quantum, 8 probes per tick, bound 16.
  IcmpProber prober(io_, clock_, [&](const ReachSample& s) { samples_[s.target].push_back(s); });
  std::vector<std::size_t> ticks;
  prober.setSendObserver([&](std::int64_t, std::size_t n) { ticks.push_back(n); });
  ASSERT_TRUE(prober.start());
  for (int i = 0; i < 2000; ++i) {
    const std::string a = "127.5." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    ASSERT_TRUE(prober.addTarget(a, {.interval = 1s, .timeout = 1s, .max_probes = 2}));
  }
  const auto st = prober.stats();
  ASSERT_EQ(st.send_quantum_ns, 4'000'000);
  ASSERT_EQ(st.burst_bound, 16u);
  ASSERT_TRUE(runUntil(
      io_, [&] { return total() == 4000; }, 10s))
      << total();
  std::size_t sent = 0;
  for (std::size_t n : ticks) {
    EXPECT_LE(n, st.burst_bound);
    sent += n;
  }
  EXPECT_EQ(sent, 4000u);
  EXPECT_LE(prober.stats().largest_tick, st.burst_bound);
  EXPECT_LT(ticks.size(), 4000u / 2) << "a tick carries several probes";
  for (const auto& [t, v] : samples_) EXPECT_EQ(v.size(), 2u) << t << ": probed once per interval";
}

TEST_F(IcmpProberTest, Ipv4EchoRequestsLeaveWithDontFragmentAndIpIdZero) {
  // An independent raw socket sees each request (with its IP header) as loopback delivers it.
  const int sniff = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  ASSERT_GE(sniff, 0) << "raw ICMP socket: " << std::strerror(errno);
  IcmpProber prober(io_, clock_, [&](const ReachSample& s) { samples_[s.target].push_back(s); },
                    {.mode = SocketMode::Raw});
  ASSERT_TRUE(prober.start());
  ASSERT_TRUE(
      prober.addTarget("127.0.0.77", {.interval = 50ms, .timeout = 500ms, .max_probes = 3}));
  ASSERT_TRUE(runUntil(
      io_, [&] { return samples_["127.0.0.77"].size() == 3; }, 5s));
  int requests = 0;
  std::uint8_t buf[2048];
  for (;;) {
    const auto n = ::recv(sniff, buf, sizeof buf, 0);
    if (n < 0) break;
    const std::size_t ihl = static_cast<std::size_t>(buf[0] & 0x0f) * 4;
    if (n < static_cast<ssize_t>(ihl + 8)) continue;
    const std::uint32_t dst = (std::uint32_t{buf[16]} << 24) | (std::uint32_t{buf[17]} << 16) |
                              (std::uint32_t{buf[18]} << 8) | buf[19];
    if (dst != 0x7f00004d || buf[ihl] != 8) continue;  // echo requests to 127.0.0.77 only
    ++requests;
    const std::uint16_t frag = static_cast<std::uint16_t>((buf[6] << 8) | buf[7]);
    const std::uint16_t id = static_cast<std::uint16_t>((buf[4] << 8) | buf[5]);
    EXPECT_TRUE(frag & 0x4000) << "DF set";
    EXPECT_EQ(id, 0u) << "atomic datagram: IP ID 0 (RFC 6864)";
  }
  ::close(sniff);
  EXPECT_EQ(requests, 3);
  for (const auto& s : samples_["127.0.0.77"]) EXPECT_TRUE(s.replied) << s.error;
}
