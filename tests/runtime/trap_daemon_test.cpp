// Traps through the real daemon: Debian's snmpd on 127.0.0.1 is the device, the real circuitd
// polls it and listens for traps on loopback, and net-snmp's snmptrap sends a linkDown from the
// device's address. The poll interval is long, so only the trap can explain a change; what
// links the trap's ifIndex to the circuit's interface is the poller's name resolution.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "daemon/store/sqlite_store.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"
#include "tests/support/snmp_agents.hpp"

namespace circuitd {
namespace {

using namespace std::chrono_literals;
using testing::httpGet;
using testing::Process;
using testing::requireTool;
using testing::ScratchDir;
using testing::SnmpdAgent;
using testing::SpawnOptions;
using testing::writeFile;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kSnmptrap = "/usr/bin/snmptrap";
constexpr const char* kCircuit = "TRAP-LO";
// Long enough that the round after the first cannot fall inside the test (the scheduler
// places the first round anywhere in the interval and jitters the next by 10%), short enough
// that the first round comes within the test's time.
constexpr auto kPollInterval = 60s;

class DaemonTrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(requireTool("/usr/sbin/snmpd"));
    ASSERT_TRUE(requireTool(kSnmptrap));
    std::string err;
    ASSERT_TRUE(agent_.start(&err)) << err;
    trap_port_ = testing::freeUdpPort();
    ASSERT_NE(trap_port_, 0);
    // One device (the snmpd), one circuit whose UNI is the agent's loopback (ifIndex 1), kept
    // up by ICMP to 127.0.0.1 between the rare polls.
    writeFile(dir_.path() / "circuitd.toml",
              "[daemon]\nstate_dir = \"state\"\nlog_level = \"debug\"\n"
              "trap_listen = \"127.0.0.1:" +
                  std::to_string(trap_port_) +
                  "\"\ntrap_communities = [\"traps\"]\n\n"
                  "[store]\nbackend = \"sqlite\"\npath = \"state/circuitd.db\"\n\n"
                  "[http]\nenabled = true\nlisten = \"127.0.0.1:0\"\n\n"
                  "[[device]]\nname = \"snmpd-lo\"\naddress = \"127.0.0.1\"\nport = " +
                  std::to_string(agent_.port()) + "\npoll_interval = \"" +
                  std::to_string(kPollInterval.count()) +
                  "s\"\ntimeout = \"1s\"\nretries = 1\n"
                  "snmp = { version = \"2c\", community = \"public\" }\n\n"
                  "[[circuit]]\nkey = \"" +
                  kCircuit +
                  "\"\ndevice = \"snmpd-lo\"\nuni_interface = \"lo\"\n"
                  "carrier_target = \"127.0.0.1\"\nprobe_interval = \"200ms\"\n");
    SpawnOptions opts;
    opts.log = dir_.path() / "circuitd.log";
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{testing::circuitdBinary(), "--config",
                                 (dir_.path() / "circuitd.toml").string()},
        opts);
    http_port_ = testing::waitForHttpPort(*daemon_, 15s);
    ASSERT_GT(http_port_, 0) << daemon_->log();
  }

  void TearDown() override {
    if (!daemon_) return;
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(5s), 0) << daemon_->log();
  }

  // The circuit as /api/v1/circuits/<key> shows it (null when the request failed).
  nlohmann::json circuit() const {
    const std::string raw = httpGet(http_port_, std::string("/api/v1/circuits/") + kCircuit);
    const auto body = raw.find("\r\n\r\n");
    if (body == std::string::npos) return nullptr;
    return nlohmann::json::parse(raw.substr(body + 4), nullptr, false);
  }

  std::string state() const {
    const auto c = circuit();
    return c.is_object() && c.contains("state") ? c["state"].get<std::string>() : "";
  }

  // Waits until the circuit's state is one of `states`; the last state seen otherwise.
  std::string waitForState(const std::vector<std::string>& states,
                           std::chrono::milliseconds limit) const {
    const auto end = SteadyClock::now() + limit;
    std::string s;
    while (SteadyClock::now() < end) {
      s = state();
      if (std::find(states.begin(), states.end(), s) != states.end()) return s;
      std::this_thread::sleep_for(50ms);
    }
    return s;
  }

  // Sends a v2c linkDown for ifIndex `index` (admin up, oper down) from 127.0.0.1 to the
  // daemon; the sender's exit status.
  int sendLinkDown(int index) const {
    const std::string i = std::to_string(index);
    const auto p = testing::startSnmpProgram(
        {kSnmptrap, "-v2c", "-c", "traps", "127.0.0.1:" + std::to_string(trap_port_), "",
         "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1." + i, "i", i, "1.3.6.1.2.1.2.2.1.7." + i, "i",
         "1", "1.3.6.1.2.1.2.2.1.8." + i, "i", "2"},
        dir_.path().string(), dir_.path() / ("snmptrap-" + i + ".log"));
    return p->wait(10s);
  }

  ScratchDir dir_{"circuitd-trap-"};
  SnmpdAgent agent_;
  std::uint16_t trap_port_ = 0;
  int http_port_ = -1;
  std::unique_ptr<Process> daemon_;
};

TEST_F(DaemonTrapTest, LinkDownForTheCircuitsIfIndexMovesItButAnotherIfIndexDoesNot) {
  // The circuit comes up on ICMP; the first poll round resolves lo to its ifIndex.
  ASSERT_EQ(waitForState({"up"}, 20s), "up") << daemon_->log();
  ASSERT_TRUE(
      daemon_->waitForLog("SNMP device snmpd-lo: interfaces resolved: lo=1", kPollInterval + 10s))
      << daemon_->log();
  const auto polled = SteadyClock::now();
  ASSERT_EQ(waitForState({"up"}, 5s), "up") << daemon_->log();

  // The same device and community, but an ifIndex that is not the circuit's: received,
  // matched to no polled interface, and the circuit stays up.
  ASSERT_EQ(sendLinkDown(2), 0);
  ASSERT_TRUE(daemon_->waitForLog("trap linkDown from snmpd-lo (127.0.0.1:", 5s)) << daemon_->log();
  ASSERT_TRUE(daemon_->waitForLog("ifIndex 2, not a polled interface", 1s)) << daemon_->log();
  std::this_thread::sleep_for(2s);  // ten ICMP samples: time enough to go down if it were to
  EXPECT_EQ(state(), "up") << daemon_->log();

  // linkDown for lo's ifIndex: the circuit leaves up within seconds, long before the next
  // poll could have seen anything.
  ASSERT_EQ(sendLinkDown(1), 0);
  ASSERT_TRUE(daemon_->waitForLog("ifIndex 1 = lo", 5s)) << daemon_->log();
  const std::string moved = waitForState({"down", "degraded"}, 10s);
  const auto took = SteadyClock::now() - polled;
  ASSERT_TRUE(moved == "down" || moved == "degraded") << "state after linkDown: " << moved << "\n"
                                                      << daemon_->log();
  EXPECT_LT(took, kPollInterval * 8 / 10) << "the next poll round may explain the change";
  // The fault's evidence is the UNI's operational state as the trap gave it: snmpd reports lo up,
  // so nothing but the trap can have put "down" there. Read once the daemon has stopped (a
  // stop loses no fault write).
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(5s), 0) << daemon_->log();
  const std::string log = daemon_->log();
  daemon_.reset();
  auto st = store::SqliteStore::open((dir_.path() / "state/circuitd.db").string());
  ASSERT_TRUE(st) << st.error().str();
  auto faults = (*st)->faults(store::FaultFilter::All);
  ASSERT_TRUE(faults) << faults.error().str();
  std::vector<Evidence> evidence;
  for (const auto& f : *faults)
    if (f.circuit == kCircuit) evidence = f.decision.evidence;
  ASSERT_FALSE(evidence.empty()) << "no fault with evidence for " << kCircuit << "\n" << log;
  std::string uni_oper, uni_admin;
  for (const auto& e : evidence) {
    if (e.name == "uni_oper") uni_oper = e.value;
    if (e.name == "uni_admin") uni_admin = e.value;
  }
  EXPECT_EQ(uni_oper, "down") << log;
  EXPECT_EQ(uni_admin, "up");
  std::printf(
      "linkDown moved %s to %s in %lld ms after the first poll\n", kCircuit, moved.c_str(),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

}  // namespace
}  // namespace circuitd
