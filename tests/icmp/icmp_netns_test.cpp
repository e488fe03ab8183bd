// IcmpProber against a host in a network namespace this test creates: a veth pair with one end
// in the root namespace and one in the test namespace (private 10.x / fd77:: addresses that only
// exist on this pair). Taking the root end down must make the target unreachable within the
// configured window; bringing it up must recover.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <string>

#include "daemon/runtime/system_clock.hpp"
#include "domain/core/reach_window.hpp"
#include "probes/icmp/icmp_prober.hpp"
#include "tests/icmp/test_util.hpp"
#include "tests/support/netns.hpp"

using namespace circuitd;
using namespace circuitd::icmp;
using namespace std::chrono_literals;
using circuitd::icmp::test::runUntil;
using circuitd::testing::Netns;
using circuitd::testing::run;
using circuitd::testing::VethPair;

namespace {

class IcmpNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto missing = test::missingPrerequisite(true);
    ASSERT_TRUE(missing.empty()) << missing;
    const auto pid = static_cast<unsigned>(::getpid());
    root_if_ = "ci" + std::to_string(pid) + "r";
    ns_if_ = "ci" + std::to_string(pid) + "n";
    const std::string net = "10.77." + std::to_string(pid % 256) + ".";
    const unsigned base = 4 * ((pid / 256) % 64);
    root_v4_ = net + std::to_string(base + 1);
    target_v4_ = net + std::to_string(base + 2);
    root_v6_ = "fd77:" + std::to_string(pid % 10000) + "::1";
    target_v6_ = "fd77:" + std::to_string(pid % 10000) + "::2";
    ns_ = std::make_unique<Netns>("cdicmp");
    ASSERT_TRUE(ns_->ok()) << ns_->error();
    // The root end in the test's own namespace, the target's end in the new one; both come up
    // once addressed.
    veth_ = std::make_unique<VethPair>(circuitd::testing::VethEnd{nullptr, root_if_},
                                       circuitd::testing::VethEnd{ns_.get(), ns_if_}, false);
    ASSERT_TRUE(veth_->ok()) << veth_->error();
    // Keep the IPv6 address across down/up (the kernel flushes it by default).
    ASSERT_EQ(
        run({"sysctl", "-q", "-w", "net.ipv6.conf." + root_if_ + ".keep_addr_on_down=1"}).exit_code,
        0);
    ASSERT_EQ(run({"ip", "addr", "add", root_v4_ + "/30", "dev", root_if_}).exit_code, 0);
    ASSERT_EQ(
        run({"ip", "-6", "addr", "add", root_v6_ + "/64", "dev", root_if_, "nodad"}).exit_code, 0);
    ASSERT_TRUE(VethPair::setLink(veth_->a(), true));
    ASSERT_EQ(ns_->ip({"addr", "add", target_v4_ + "/30", "dev", ns_if_}).exit_code, 0);
    ASSERT_EQ(ns_->ip({"-6", "addr", "add", target_v6_ + "/64", "dev", ns_if_, "nodad"}).exit_code,
              0);
    ASSERT_TRUE(VethPair::setLink(veth_->b(), true));
  }
  // The root end (a device of the test's own namespace) first, then the namespace.
  void TearDown() override {
    veth_.reset();
    ns_.reset();
  }

  std::unique_ptr<Netns> ns_;
  std::unique_ptr<VethPair> veth_;
  std::string root_if_, ns_if_, root_v4_, target_v4_, root_v6_, target_v6_;
};

}  // namespace

TEST_F(IcmpNetnsTest, LinkDownMakesTargetUnreachableWithinWindowAndUpRecovers) {
  constexpr auto kInterval = 200ms;
  constexpr auto kTimeout = 300ms;
  constexpr auto kSpan = 1s;  // the configured window
  boost::asio::io_context io;
  SystemClock clock;
  std::map<std::string, ReachWindow> windows;
  std::map<std::string, ReachSample> last;
  for (const auto& t : {target_v4_, target_v6_}) windows.emplace(t, ReachWindow(kSpan));
  IcmpProber prober(io, clock, [&](const ReachSample& s) {
    windows.at(s.target).add(s);
    last[s.target] = s;
  });
  ASSERT_TRUE(prober.start());
  ASSERT_TRUE(prober.socketInfo().v6_open) << prober.socketInfo().v6_error;
  for (const auto& t : {target_v4_, target_v6_}) {
    ASSERT_TRUE(prober.addTarget(t, {.interval = kInterval, .timeout = kTimeout}));
  }
  auto all = [&](bool reachable) {
    for (const auto& [t, w] : windows) {
      const auto st = w.stats();
      if (st.reachable() != reachable || st.sent < 3) return false;
    }
    return true;
  };
  ASSERT_TRUE(runUntil(
      io, [&] { return all(true); }, 10s))
      << "targets never answered";

  const auto down_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(VethPair::setLink(veth_->a(), false));
  std::map<std::string, std::chrono::milliseconds> detected;
  ASSERT_TRUE(runUntil(
      io,
      [&] {
        for (const auto& [t, w] : windows) {
          if (!detected.count(t) && !w.stats().reachable()) {
            detected[t] = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - down_at);
          }
        }
        return detected.size() == windows.size();
      },
      10s))
      << "link down never detected";
  for (const auto& [t, d] : detected) {
    // Window + one interval (the last answered probe) + the timeout of the newest probe; the
    // rest is slack for a loaded 2-core machine.
    EXPECT_LE(d, kSpan + kInterval + kTimeout + 700ms) << t;
    EXPECT_FALSE(last[t].replied);
    EXPECT_FALSE(last[t].error.empty()) << t << " says why: timeout or send failure";
  }

  ASSERT_TRUE(VethPair::setLink(veth_->a(), true));
  const auto up_at = std::chrono::steady_clock::now();
  for (auto& [t, w] : windows) w = ReachWindow(kSpan);
  // Recovered = the window sees replies again and the newest reported probe was answered. A probe
  // sent while the link was down reports its timeout after the first answered one, so the newest
  // sample is checked as part of the wait rather than once afterwards.
  ASSERT_TRUE(runUntil(
      io,
      [&] {
        for (const auto& [t, w] : windows) {
          if (!w.stats().reachable() || !last[t].replied) return false;
        }
        return true;
      },
      10s))
      << "targets did not recover after link up";
  EXPECT_LE(std::chrono::steady_clock::now() - up_at, 5s);
}

TEST_F(IcmpNetnsTest, LinkDownIsDetectedOnTimeWhileRepliesAreReadAtTicks) {
  // 1,000 loopback targets keep the prober's ticks 8 ms apart, so replies are read at ticks and
  // no reply arrival wakes the loop. The namespace target's timeouts must still be reported on
  // time: a link going down turns it unreachable within the configured window.
  constexpr auto kInterval = 200ms;
  constexpr auto kTimeout = 300ms;
  constexpr auto kSpan = 1s;
  boost::asio::io_context io;
  SystemClock clock;
  ReachWindow window(kSpan);
  ReachSample last;
  IcmpProber prober(io, clock, [&](const ReachSample& s) {
    if (s.target != target_v4_) return;
    window.add(s);
    last = s;
  });
  ASSERT_TRUE(prober.start());
  ASSERT_TRUE(prober.addTarget(target_v4_, {.interval = kInterval, .timeout = kTimeout}));
  for (int i = 0; i < 1000; ++i) {
    const std::string a = "127.6." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    ASSERT_TRUE(prober.addTarget(a, {.interval = 1s, .timeout = 1s}));
  }
  ASSERT_TRUE(runUntil(
      io, [&] { return window.stats().reachable() && window.stats().sent >= 3; }, 10s))
      << "target never answered";
  const auto before = prober.stats();

  const auto down_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(VethPair::setLink(veth_->a(), false));
  ASSERT_TRUE(runUntil(
      io, [&] { return !window.stats().reachable(); }, 10s))
      << "never detected";
  const auto d = std::chrono::steady_clock::now() - down_at;
  EXPECT_LE(d, kSpan + kInterval + kTimeout + 700ms);
  EXPECT_FALSE(last.replied);
  const auto after = prober.stats();
  EXPECT_GT(after.replies - before.replies, 1000u) << "the loopback targets went on answering";
  EXPECT_LE(after.read_wakeups - before.read_wakeups, 10u)
      << "replies were read at ticks (" << after.ticks - before.ticks << " ticks)";
}

TEST_F(IcmpNetnsTest, SilentHostTimesOutWithoutReply) {
  // The namespace host stops answering echo requests: every probe must end as a timeout.
  ASSERT_TRUE(ns_->sysctl("net.ipv4.icmp_echo_ignore_all=1"));
  boost::asio::io_context io;
  SystemClock clock;
  std::vector<ReachSample> got;
  IcmpProber prober(io, clock, [&](const ReachSample& s) { got.push_back(s); });
  ASSERT_TRUE(prober.start());
  ASSERT_TRUE(prober.addTarget(target_v4_, {.interval = 100ms, .timeout = 200ms, .max_probes = 4}));
  ASSERT_TRUE(runUntil(
      io, [&] { return got.size() == 4; }, 5s));
  for (const auto& s : got) {
    EXPECT_FALSE(s.replied);
    EXPECT_EQ(s.error, "timeout");
    EXPECT_FALSE(s.rtt_ms.has_value());
  }
  EXPECT_EQ(prober.stats().timeouts, 4u);
}
