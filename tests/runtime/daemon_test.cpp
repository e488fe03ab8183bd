// The real circuitd binary, run by the test with a generated configuration on loopback and with
// NOTIFY_SOCKET pointing at a socket the test reads: what systemd would see.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "daemon/store/sqlite_store.hpp"
#include "tests/support/files.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/notify_listener.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace circuitd {
namespace {

using namespace std::chrono_literals;
using testing::haveTool;
using testing::Netns;
using testing::NetnsOptions;
using testing::NotifyListener;
using testing::Process;
using testing::ScratchDir;
using testing::SpawnOptions;
using testing::VethLink;
using testing::VethPair;
using testing::writeFile;
using SteadyClock = std::chrono::steady_clock;

const std::string kDaemon = testing::circuitdBinary();

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

// Capture on cap0 and one circuit keyed by `prefix`, probed by ICMP at `target`.
std::string captureToml(const std::string& key, const std::string& target,
                        const std::string& prefix, const std::string& interval) {
  return "[daemon]\nstate_dir = \"state\"\nlog_level = \"debug\"\ntrap_listen = \"\"\n"
         "capture_interface = \"cap0\"\n\n" +
         circuitToml(key, target, interval) + "prefix = \"" + prefix + "\"\n";
}

class DaemonTest : public ::testing::Test {
 protected:
  DaemonTest() : dir_("circuitd-daemon-"), notify_(dir_.path() / "notify.sock") {}

  std::filesystem::path config() const { return dir_.path() / "circuitd.toml"; }

  // Starts the daemon, optionally inside a network namespace (`ip netns exec` execs it, so the
  // pid and the signals are the daemon's own).
  std::unique_ptr<Process> start(std::vector<std::string> env = {}, const Netns* netns = nullptr) {
    env.push_back(notify_.envEntry());
    env.push_back("CIRCUITD_TEST_HOOKS=1");
    std::vector<std::string> argv = {kDaemon, "--config", config().string()};
    if (netns != nullptr) argv = netns->wrap(argv);
    SpawnOptions opts;
    opts.env = env;
    opts.log = dir_.path() / "circuitd.log";
    return std::make_unique<Process>(argv, opts);
  }

  // The STATUS= text of the last notification containing STATUS= received after `after`.
  std::string lastStatus(SteadyClock::time_point after = {}) const {
    std::string last;
    for (const auto& m : notify_.messages()) {
      if (m.at < after) continue;
      auto at = m.text.find("STATUS=");
      if (at != std::string::npos) last = m.text.substr(at + 7, m.text.find('\n', at) - at - 7);
    }
    return last;
  }

  // Waits until the daemon reports `status` as its STATUS= line.
  bool waitForStatus(const std::string& status, std::chrono::milliseconds limit) const {
    const auto end = SteadyClock::now() + limit;
    while (SteadyClock::now() < end) {
      for (const auto& m : notify_.messages())
        if (m.text.find("STATUS=" + status) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  ScratchDir dir_;
  NotifyListener notify_;
};

TEST_F(DaemonTest, ReadyCarriesCircuitCountsAndSigtermStopsWithinFiveSeconds) {
  writeFile(config(),
            daemonToml() + circuitToml("LOOP-A", "127.0.0.1") + circuitToml("LOOP-B", "127.0.0.2"));
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

TEST_F(DaemonTest, WithoutSystemdsUMaskTheStateDirectoryIsMode0700AndTheStore0600) {
  // Started by hand from a shell with the usual umask 022 (no UMask=0077 from the unit).
  writeFile(config(), daemonToml() + circuitToml("LOOP-A", "127.0.0.1"));
  const mode_t saved = ::umask(022);
  auto d = start();
  ::umask(saved);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  struct stat dir {
  }, db{};
  ASSERT_EQ(::stat((dir_.path() / "state").c_str(), &dir), 0);
  ASSERT_EQ(::stat((dir_.path() / "state/circuitd.db").c_str(), &db), 0) << d->log();
  EXPECT_EQ(dir.st_mode & 07777, 0700u) << std::oct << (dir.st_mode & 07777);
  EXPECT_EQ(db.st_mode & 07777, 0600u) << std::oct << (db.st_mode & 07777);
  d->signal(SIGTERM);
  EXPECT_EQ(d->wait(5s), 0) << d->log();
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
  writeFile(config(),
            daemonToml() + circuitToml("LOOP-A", "127.0.0.1") + circuitToml("LOOP-C", "127.0.0.3"));
  const auto t2 = SteadyClock::now();
  d->signal(SIGHUP);
  ASSERT_TRUE(d->waitForLog("reload applied: +1 -0 ~0 circuits (1 unchanged)", 10s)) << d->log();
  EXPECT_NE(notify_.waitFor("READY=1", 2s, t2).find("STATUS=2 circuits"), std::string::npos);
  d->signal(SIGTERM);
  EXPECT_EQ(d->wait(5s), 0) << d->log();
}

TEST_F(DaemonTest, ReloadKeepsTheStateOfUnchangedCircuitsAndAppliesAddsAndRemovals) {
  writeFile(config(), daemonToml() + circuitToml("LOOP-A", "127.0.0.1", "100ms") +
                          circuitToml("LOOP-B", "127.0.0.2", "100ms"));
  auto d = start();
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(waitForStatus("2 circuits: 2 up,", 15s)) << d->log();

  // LOOP-A unchanged, LOOP-B removed, LOOP-C added (with a slow interval so it is still
  // unknown when the reload's READY=1 is sent).
  writeFile(config(), daemonToml() + circuitToml("LOOP-A", "127.0.0.1", "100ms") +
                          circuitToml("LOOP-C", "127.0.0.3", "10s"));
  const auto t = SteadyClock::now();
  d->signal(SIGHUP);
  ASSERT_TRUE(d->waitForLog("reload applied: +1 -1 ~0 circuits (1 unchanged)", 10s)) << d->log();
  const std::string ready = notify_.waitFor("READY=1", 5s, t);
  // LOOP-A kept "up" through the reload; only the new circuit starts unknown.
  EXPECT_NE(ready.find("STATUS=2 circuits: 1 up, 0 degraded, 0 down, 1 unknown"), std::string::npos)
      << ready;
  const std::string log = d->log();
  const auto reload_at = log.find("SIGHUP: reloading");
  ASSERT_NE(reload_at, std::string::npos);
  EXPECT_EQ(log.find("circuit LOOP-A:", reload_at), std::string::npos)
      << "LOOP-A changed state across the reload:\n"
      << log.substr(reload_at);
  EXPECT_EQ(log.find("circuit LOOP-B:", reload_at), std::string::npos);
  d->signal(SIGTERM);
  EXPECT_EQ(d->wait(5s), 0) << d->log();
}

TEST_F(DaemonTest, SigtermDuringABurstOfFaultWritesLosesNothing) {
  ASSERT_TRUE(haveTool("ip")) << "iproute2 is required";
  Netns ns("cd-rt");
  ASSERT_TRUE(ns.ok()) << "cannot create a network namespace (root required)";
  constexpr int kSilent = 40;
  std::string cfg = daemonToml(), add, del;
  for (int i = 1; i <= kSilent; ++i) {
    const std::string addr = "10.201.0." + std::to_string(i);
    cfg += circuitToml("NET-" + std::to_string(i), addr, "100ms");
    add += "addr add " + addr + "/32 dev lo\n";
    del += "addr del " + addr + "/32 dev lo\n";
  }
  // Three circuits that stay up, so that the monitor is not judged blind.
  for (int i = 1; i <= 3; ++i)
    cfg += circuitToml("LOOP-" + std::to_string(i), "127.0.0." + std::to_string(i), "100ms");
  writeFile(config(), cfg);
  ASSERT_TRUE(ns.batch(add));
  auto d = start({}, &ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(waitForStatus("43 circuits: 43 up,", 20s)) << d->log();

  // Every NET target falls silent at once: 40 circuits go down and 40 faults are written, one
  // transaction each. SIGTERM arrives as soon as the first one is logged.
  ASSERT_TRUE(ns.batch(del));
  ASSERT_TRUE(d->waitForLog("-> down", 20s)) << d->log();
  const auto t0 = SteadyClock::now();
  d->signal(SIGTERM);
  const int rc = d->wait(5s);
  ASSERT_EQ(rc, 0) << d->log();
  EXPECT_LT(SteadyClock::now() - t0, 5s);

  // Everything the daemon logged as decided is in the store, and the count it reports written
  // matches the rows.
  const std::string log = d->log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"((\d+) transitions written)"))) << log;
  const long written = std::stol(m[1]);
  EXPECT_GT(written, 0);
  std::set<std::string> down;
  const std::regex down_line(R"(circuit (NET-\d+): up -> down)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), down_line);
       it != std::sregex_iterator(); ++it)
    down.insert((*it)[1]);
  ASSERT_FALSE(down.empty());
  EXPECT_EQ(log.find("could not be written"), std::string::npos) << log;

  auto st = store::SqliteStore::open((dir_.path() / "state/circuitd.db").string());
  ASSERT_TRUE(st) << st.error().str();
  auto transitions = (*st)->transitions("");
  ASSERT_TRUE(transitions) << transitions.error().str();
  EXPECT_EQ(static_cast<long>(transitions->size()), written);
  auto faults = (*st)->faults(store::FaultFilter::All);
  ASSERT_TRUE(faults) << faults.error().str();
  std::set<std::string> stored;
  for (const auto& f : *faults) stored.insert(f.circuit);
  for (const auto& c : down) EXPECT_TRUE(stored.count(c)) << c << " went down but has no fault";
  RecordProperty("down_before_stop", static_cast<int>(down.size()));
  std::printf("circuits down when stopped: %zu of %d; transitions written and stored: %ld\n",
              down.size(), kSilent, written);
}

TEST_F(DaemonTest, PassiveCaptureCountsTheCircuitsTrafficOnTheCaptureInterface) {
  ASSERT_TRUE(haveTool("ip")) << "iproute2 is required";
  // Two namespaces joined by a veth pair: the daemon in the first captures on its end while its
  // ICMP prober probes the far end, so the capture sees the circuit's traffic.
  VethLink link("cd-rt", {}, "cap0", "cap1");
  ASSERT_TRUE(link.near().ok());
  ASSERT_EQ(link.error(), "");
  ASSERT_EQ(link.near().ip({"addr", "add", "10.202.0.1/24", "dev", "cap0"}).exit_code, 0);
  ASSERT_EQ(link.far().ip({"addr", "add", "10.202.0.2/24", "dev", "cap1"}).exit_code, 0);
  writeFile(config(), captureToml("CAP-1", "10.202.0.2", "10.202.0.2/32", "100ms"));
  auto d = start({}, &link.near());
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("matched to circuits", 30s)) << d->log();
  std::smatch m;
  const std::string log = d->log();
  ASSERT_TRUE(
      std::regex_search(log, m, std::regex(R"(capture on cap0: (\d+) frames, (\d+) matched)")));
  EXPECT_GT(std::stol(m[2]), 0) << log;
  const auto t0 = SteadyClock::now();
  d->signal(SIGTERM);
  EXPECT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_LT(SteadyClock::now() - t0, 5s) << d->log();
}

// An idle capture interface: no frame arrives, so libpcap alone would wait for ever; the stop
// wakes the capture thread and the daemon joins it instead of leaving it behind.
TEST_F(DaemonTest, SigtermWithCaptureOnAnIdleLinkStopsWithinTwoSecondsAndJoinsTheThread) {
  ASSERT_TRUE(haveTool("ip")) << "iproute2 is required";
  // No IPv6 (router solicitations, neighbour discovery) and no addresses: the veth stays silent.
  NetnsOptions quiet;
  quiet.ipv6 = false;
  Netns ns("cd-rt", quiet);
  ASSERT_TRUE(ns.ok()) << "cannot create a network namespace (root required): " << ns.error();
  VethPair veth({&ns, "cap0"}, {&ns, "cap1"});
  ASSERT_TRUE(veth.ok()) << veth.error();
  writeFile(config(), captureToml("CAP-IDLE", "127.0.0.1", "10.203.0.2/32", "200ms"));
  auto d = start({}, &ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("passive capture on cap0", 5s)) << d->log();
  // Long enough for the capture to open its handle and wait on the idle link.
  std::this_thread::sleep_for(1500ms);
  const auto t0 = SteadyClock::now();
  d->signal(SIGTERM);
  const int rc = d->wait(5s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0);
  const std::string log = d->log();
  ASSERT_EQ(rc, 0) << log;
  EXPECT_LT(took, 2s) << log;
  EXPECT_EQ(log.find("leaving it behind"), std::string::npos) << log;
  EXPECT_EQ(log.find("abandoning"), std::string::npos) << log;
  EXPECT_NE(log.find("capture thread joined"), std::string::npos) << log;
  EXPECT_EQ(log.find("capture: "), std::string::npos) << "the capture failed:\n" << log;
  std::printf("SIGTERM to exit with capture on an idle veth: %lld ms\n",
              static_cast<long long>(took.count()));
}

}  // namespace
}  // namespace circuitd
