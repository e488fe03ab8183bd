// The real circuitd binary with an exec notification channel: a circuit whose probe target falls
// silent is announced exactly once, across a restart, and a delivery that failed before a
// restart is made by the next run from the outbox in the store.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/runtime/process_util.hpp"

namespace circuitd {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::haveTool;
using testing::NotifyListener;
using testing::readFile;
using testing::runCommand;
using testing::ScratchDir;
using testing::writeFile;
using SteadyClock = std::chrono::steady_clock;

const std::string kDaemon = std::string(CIRCUITD_BINARY_DIR) + "/daemon/circuitd";

// A network namespace made by the test, so that probe targets can be made to fall silent by
// removing their address from its loopback (an unused loopback address would still answer).
class Netns {
 public:
  Netns() : name_("cd-nt-" + std::to_string(::getpid()) + "-" + std::to_string(++count_)) {
    runCommand("ip netns del " + name_ + " 2>/dev/null");
    ok_ = runCommand("ip netns add " + name_).rc == 0 &&
          runCommand("ip -n " + name_ + " link set lo up").rc == 0;
  }
  ~Netns() { runCommand("ip netns del " + name_); }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  bool addr(const std::string& verb, const std::string& a) const {
    return runCommand("ip -n " + name_ + " addr " + verb + " " + a + "/32 dev lo").rc == 0;
  }

 private:
  static inline int count_ = 0;  // a fresh name per test: namespace teardown is asynchronous
  std::string name_;
  bool ok_ = false;
};

class NotifyChannelTest : public ::testing::Test {
 protected:
  NotifyChannelTest() : dir_("circuitd-notify-"), notify_(dir_.path() / "notify.sock") {}

  std::filesystem::path sent() const { return dir_.path() / "sent.txt"; }
  std::filesystem::path gate() const { return dir_.path() / "gate"; }

  // NET-1 and NET-2 probe addresses the test removes; LOOP-1 stays up so the monitor is not
  // judged blind. The hook appends "<idempotency key> <state> <circuit>" per delivery and fails
  // while the gate file is missing.
  void writeConfig() const {
    std::string cfg =
        "[daemon]\nstate_dir = \"state\"\nlog_level = \"debug\"\ntrap_listen = \"\"\n\n"
        "[store]\npath = \"state/circuitd.db\"\n\n"
        "[[notify]]\nname = \"hook\"\nkind = \"exec\"\ntimeout = \"5s\"\n"
        "command = [\"/bin/sh\", \"-c\", \"[ -e '" + gate().string() +
        "' ] || exit 1; echo \\\"$1 $2 $3\\\" >> '" + sent().string() +
        "'\", \"hook\", \"{key}\", \"{state}\", \"{circuit}\"]\n\n";
    for (const auto& [key, target] : {std::pair{"NET-1", "10.202.0.1"},
                                      std::pair{"NET-2", "10.202.0.2"},
                                      std::pair{"LOOP-1", "127.0.0.1"}})
      cfg += std::string("[[circuit]]\nkey = \"") + key + "\"\ncarrier_target = \"" + target +
             "\"\nprobe_interval = \"100ms\"\n\n";
    writeFile(dir_.path() / "circuitd.toml", cfg);
  }

  std::unique_ptr<ChildProcess> start(const Netns& ns) {
    std::string ip = runCommand("command -v ip").output;
    ip.erase(ip.find_last_not_of("\n") + 1);
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{ip, "netns", "exec", ns.name(), kDaemon, "--config",
                                 (dir_.path() / "circuitd.toml").string()},
        std::vector<std::string>{notify_.envEntry()}, dir_.path() / "circuitd.log");
  }

  // Lines of the hook's file.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(readFile(sent()));
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  std::size_t count(const std::string& needle) const {
    std::size_t n = 0;
    for (const auto& l : lines()) n += l.find(needle) != std::string::npos;
    return n;
  }
  // Polls the hook's file until a line contains needle.
  bool waitForLine(const std::string& needle, std::chrono::milliseconds limit) const {
    const auto end = SteadyClock::now() + limit;
    while (SteadyClock::now() < end) {
      if (count(needle) > 0) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  ScratchDir dir_;
  NotifyListener notify_;
};

TEST_F(NotifyChannelTest, FaultIsAnnouncedOnceAndNotAgainAfterARestart) {
  ASSERT_TRUE(haveTool("ip")) << "iproute2 is required";
  Netns ns;
  ASSERT_TRUE(ns.ok()) << "cannot create a network namespace (root required)";
  ASSERT_TRUE(ns.addr("add", "10.202.0.1") && ns.addr("add", "10.202.0.2"));
  writeConfig();
  writeFile(gate(), "");
  auto d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("notifications: 1 channel(s)", 5s)) << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-1: ", 20s)) << d->log();  // first verdict: up

  ASSERT_TRUE(ns.addr("del", "10.202.0.1"));
  ASSERT_TRUE(waitForLine(" open NET-1", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(count(" open NET-1"), 1u) << readFile(sent());

  // The next run announces NET-2's fault; the pass that sends it would also have sent NET-1's
  // row again had it not been marked sent.
  const auto t = SteadyClock::now();
  d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s, t), "") << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-2: ", 20s)) << d->log();
  ASSERT_TRUE(ns.addr("del", "10.202.0.2"));
  ASSERT_TRUE(waitForLine(" open NET-2", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(count(" open NET-1"), 1u) << readFile(sent());
  EXPECT_EQ(count(" open NET-2"), 1u) << readFile(sent());
  EXPECT_EQ(count("LOOP-1"), 0u) << readFile(sent());
}

TEST_F(NotifyChannelTest, DeliveryThatFailedBeforeARestartIsMadeByTheNextRun) {
  ASSERT_TRUE(haveTool("ip")) << "iproute2 is required";
  Netns ns;
  ASSERT_TRUE(ns.ok()) << "cannot create a network namespace (root required)";
  ASSERT_TRUE(ns.addr("add", "10.202.0.1") && ns.addr("add", "10.202.0.2"));
  writeConfig();  // no gate file yet: every delivery fails
  auto d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-1: ", 20s)) << d->log();
  ASSERT_TRUE(ns.addr("del", "10.202.0.1"));
  ASSERT_TRUE(d->waitForLog("on hook failed (attempt 1)", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(readFile(sent()), "");

  writeFile(gate(), "");
  d = start(ns);
  // The row is due again after its backoff (5 s after the failed attempt).
  ASSERT_TRUE(waitForLine(" open NET-1", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(count(" open NET-1"), 1u) << readFile(sent());
}

}  // namespace
}  // namespace circuitd
