#pragma once
// Real SNMP agents for the SNMP tests: Debian's snmpd and snmpsim started on 127.0.0.1 with
// generated configuration on a free port, the environment the net-snmp command-line tools run
// in, and a harness that drives the poller round by round. A missing binary is a test failure,
// not a skip (CI runs as root with them installed).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/observation.hpp"
#include "probes/snmp/poller.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace circuitd::testing {

/// A free UDP port on 127.0.0.1 (bound to port 0, read back, released).
std::uint16_t freeUdpPort();

/// Fails the current test (ADD_FAILURE) when `path` is not an executable file.
bool requireTool(const std::string& path);

/// Environment entries for net-snmp tools and agents: no MIBs, persistent files in `dir`.
std::vector<std::string> toolEnv(const std::string& dir);

/// Starts a net-snmp program (an agent, a trap sender) with toolEnv(dir), in a process group of
/// its own, stdout and stderr in `log`.
std::unique_ptr<Process> startSnmpProgram(const std::vector<std::string>& argv,
                                          const std::string& dir, const std::filesystem::path& log);

/// Debian's snmpd on 127.0.0.1:<free port> with v2c community "public" and v3 users
/// shauser (SHA/AES, keys authpass123/privpass123) and sha256user (SHA-256/AES,
/// authpass256/privpass256), both rouser authPriv.
class SnmpdAgent {
 public:
  /// Prepares its scratch directory; start() runs it.
  SnmpdAgent();
  ~SnmpdAgent();
  /// Starts and waits (up to 15 s) until it answers; false with a message on failure.
  bool start(std::string* error);
  /// The UDP port it serves.
  std::uint16_t port() const { return port_; }

 private:
  ScratchDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> proc_;
};

/// snmpsimd serving the recordings in tests/data/snmp (community = file name without .snmprec).
class SnmpsimAgent {
 public:
  /// Prepares its scratch directory; start() runs it.
  SnmpsimAgent();
  ~SnmpsimAgent();
  /// Starts and waits (up to 30 s) until community `probe` answers.
  bool start(const std::string& probe, std::string* error);
  /// The UDP port it serves.
  std::uint16_t port() const { return port_; }

 private:
  ScratchDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> proc_;
};

/// A value for snmpSet.
struct SetValue {
  std::string oid;    ///< numeric, "1.3.6.1.2.1.1.3.0"
  char type;          ///< 't' TimeTicks, 'c' Counter32, 'C' Counter64, 's' string, 'i' integer
  std::string value;  ///< as text, converted by type
};

/// SNMP SET (v2c) with net-snmp's synchronous API, for snmpsim writecache records (the
/// snmpset tool cannot send a Counter64). Returns an error text or empty on success.
std::string snmpSet(std::uint16_t port, const std::string& community,
                    const std::vector<SetValue>& values);

/// What one poll round emitted.
struct RoundResult {
  std::optional<DevicePoll> device;      ///< the round's verdict on the device
  std::vector<InterfaceSample> samples;  ///< one per polled interface
};

/// Drives an SnmpPoller round by round on a private io_context.
class PollHarness {
 public:
  /// A poller with `limits` on its own io_context and the system clock.
  explicit PollHarness(snmp::PollerLimits limits = {});
  ~PollHarness();
  /// Adds a device; the Result error text on failure.
  std::string add(snmp::PollTarget t);
  /// Runs one round of `device` to completion (30 s safety deadline).
  RoundResult round(const std::string& device);
  /// Runs rounds of all `devices` concurrently.
  std::map<std::string, RoundResult> roundAll(const std::vector<std::string>& devices);
  /// Lets the agent's clock advance by running the loop for `d` (real agents only).
  void idle(std::chrono::milliseconds d);
  /// The poller itself.
  snmp::SnmpPoller& poller();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A suite sharing one snmpd, started once before its first test; every test fails (not skips)
/// when it did not start.
class SnmpdSuite : public ::testing::Test {
 protected:
  /// Starts the suite's snmpd.
  static void SetUpTestSuite() {
    start_error_.clear();
    agent_ = new SnmpdAgent();
    std::string err;
    if (!agent_->start(&err)) start_error_ = err.empty() ? "snmpd did not start" : err;
  }
  /// Stops it.
  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }
  /// Fails the test when the agent did not start.
  void SetUp() override { ASSERT_TRUE(start_error_.empty()) << start_error_; }
  /// The suite's agent.
  static inline SnmpdAgent* agent_ = nullptr;
  /// Why it did not start ("" when it did).
  static inline std::string start_error_;
};

}  // namespace circuitd::testing
