// The real circuitd binary, run by the test with a generated configuration on loopback and with
// NOTIFY_SOCKET pointing at a socket the test reads: what systemd would see.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>

#include "tests/runtime/process_util.hpp"

namespace circuitd {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::NotifyListener;
using testing::ScratchDir;
using testing::writeFile;
using SteadyClock = std::chrono::steady_clock;

const std::string kDaemon = std::string(CIRCUITD_BINARY_DIR) + "/daemon/circuitd";

// A circuit probed by ICMP on a loopback address.
std::string circuitToml(const std::string& key, const std::string& target,
                        const std::string& interval = "200ms") {
  return "[[circuit]]\nkey = \"" + key + "\"\ncarrier_target = \"" + target +
         "\"\nprobe_interval = \"" + interval + "\"\n\n";
}

std::string daemonToml() {
  return "[daemon]\nstate_dir = \"state\"\nlog_level = \"debug\"\ntrap_listen = \"\"\n\n"
         "[store]\nbackend = \"sqlite\"\npath = \"state/circuitd.db\"\n\n";
}

class DaemonTest : public ::testing::Test {
 protected:
  DaemonTest() : dir_("circuitd-daemon-"), notify_(dir_.path() / "notify.sock") {}

  std::filesystem::path config() const { return dir_.path() / "circuitd.toml"; }

  std::unique_ptr<ChildProcess> start(std::vector<std::string> env = {}) {
    env.push_back(notify_.envEntry());
    env.push_back("CIRCUITD_TEST_HOOKS=1");
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{kDaemon, "--config", config().string()}, env,
        dir_.path() / "circuitd.log");
  }

  ScratchDir dir_;
  NotifyListener notify_;
};

TEST_F(DaemonTest, ReadyCarriesCircuitCountsAndSigtermStopsWithinFiveSeconds) {
  writeFile(config(), daemonToml() + circuitToml("LOOP-A", "127.0.0.1") +
                          circuitToml("LOOP-B", "127.0.0.2"));
  auto d = start();
  const std::string ready = notify_.waitFor("READY=1", 10s);
  ASSERT_NE(ready, "") << d->log();
  EXPECT_NE(ready.find("STATUS=2 circuits: "), std::string::npos) << ready;
  const auto t0 = SteadyClock::now();
  d->signal(SIGTERM);
  const int rc = d->wait(5s);
  EXPECT_EQ(rc, 0) << d->log();
  EXPECT_LT(SteadyClock::now() - t0, 5s);
  EXPECT_NE(notify_.waitFor("STOPPING=1", 1s), "");
}

TEST_F(DaemonTest, WatchdogPingsStopWhileTheLoopIsBlockedAndResumeAfter) {
  writeFile(config(), daemonToml() + circuitToml("LOOP-A", "127.0.0.1"));
  // 400 ms watchdog: the loop pings every 100 ms; blocked for 2 s it must miss the deadline.
  auto d = start({"WATCHDOG_USEC=400000", "CIRCUITD_TEST_BLOCK_MS=2000"});
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  const auto ready_at = SteadyClock::now();
  // Healthy loop: pings keep coming well inside the timeout.
  ASSERT_NE(notify_.waitFor("WATCHDOG=1", 2s, ready_at + 500ms), "") << d->log();
  const auto blocked_at = SteadyClock::now();
  d->signal(SIGUSR2);
  ASSERT_TRUE(d->waitForLog("event loop unblocked", 10s)) << d->log();
  const auto unblocked_at = SteadyClock::now();
  ASSERT_NE(notify_.waitFor("WATCHDOG=1", 2s, unblocked_at), "") << "pings did not resume";

  std::vector<SteadyClock::time_point> pings;
  for (const auto& m : notify_.messages())
    if (m.text == "WATCHDOG=1") pings.push_back(m.at);
  ASSERT_GE(pings.size(), 4u);
  // Before the block the gaps stay below the 400 ms timeout ...
  SteadyClock::duration healthy_max{}, worst{};
  for (size_t i = 1; i < pings.size(); ++i) {
    const auto gap = pings[i] - pings[i - 1];
    if (pings[i] < blocked_at) healthy_max = std::max(healthy_max, gap);
    worst = std::max(worst, gap);
  }
  EXPECT_LT(healthy_max, 400ms);
  // ... and during it no ping arrives for longer than the timeout: systemd would kill the
  // service (WatchdogSec) and Restart=on-failure would start it again.
  EXPECT_GE(worst, 1500ms);
  d->signal(SIGTERM);
  EXPECT_EQ(d->wait(5s), 0) << d->log();
}

TEST_F(DaemonTest, InvalidReloadIsRefusedWithItsErrorsLoggedAndTheOldConfigurationKept) {
  writeFile(config(), daemonToml() + circuitToml("LOOP-A", "127.0.0.1"));
  auto d = start();
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  writeFile(config(), daemonToml() + "[[circuit]]\nkey = \"LOOP-A\"\nprobe_interval = \"soon\"\n");
  const auto t = SteadyClock::now();
  d->signal(SIGHUP);
  ASSERT_TRUE(d->waitForLog("reload refused", 10s)) << d->log();
  EXPECT_NE(d->log().find("circuitd.toml:"), std::string::npos) << "errors name the file";
  // The service is back to READY with the running configuration's counts.
  EXPECT_NE(notify_.waitFor("READY=1", 2s, t).find("STATUS=1 circuits"), std::string::npos);
  // A valid configuration afterwards is applied.
  writeFile(config(), daemonToml() + circuitToml("LOOP-A", "127.0.0.1") +
                          circuitToml("LOOP-C", "127.0.0.3"));
  const auto t2 = SteadyClock::now();
  d->signal(SIGHUP);
  ASSERT_TRUE(d->waitForLog("reload applied: +1 -0 ~0 circuits (1 unchanged)", 10s)) << d->log();
  EXPECT_NE(notify_.waitFor("READY=1", 2s, t2).find("STATUS=2 circuits"), std::string::npos);
  d->signal(SIGTERM);
  EXPECT_EQ(d->wait(5s), 0) << d->log();
}

}  // namespace
}  // namespace circuitd
