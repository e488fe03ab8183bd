#pragma once
// Real agents for the SNMP tests: Debian's snmpd and snmpsim started per fixture on 127.0.0.1
// with generated configuration on a free port, plus helpers to run the net-snmp command-line
// tools. A missing binary is a test failure, not a skip (CI runs as root with them installed).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "domain/core/observation.hpp"
#include "probes/snmp/poller.hpp"

namespace circuitd::snmp::test {

/// A private temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A free UDP port on 127.0.0.1 (bound to port 0, read back, released).
std::uint16_t freeUdpPort();

/// A child process, terminated on destruction.
class Process {
 public:
  /// Starts argv[0] with the extra environment; stdout and stderr go to `log_path`.
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  int pid() const { return pid_; }
  /// Exit status if it ended (non-blocking), else nullopt.
  std::optional<int> tryWait();
  /// Blocks until exit; returns the exit status.
  int wait();

 private:
  int pid_ = -1;
  std::optional<int> status_;
};

/// Runs a command to completion; returns its exit status and fills `output` (stdout+stderr).
int runCommand(const std::vector<std::string>& argv, std::string* output = nullptr,
               const std::map<std::string, std::string>& env = {});

/// Fails the current test (ADD_FAILURE) when `path` is not an executable file.
bool requireTool(const std::string& path);

/// Environment for net-snmp tools: no MIBs, persistent files in `dir`.
std::map<std::string, std::string> toolEnv(const std::string& dir);

/// Debian's snmpd on 127.0.0.1:<free port> with v2c community "public" and v3 users
/// shauser (SHA/AES, keys authpass123/privpass123) and sha256user (SHA-256/AES,
/// authpass256/privpass256), both rouser authPriv.
class SnmpdAgent {
 public:
  SnmpdAgent();
  ~SnmpdAgent();
  /// Starts and waits (up to 15 s) until it answers; false with a message on failure.
  bool start(std::string* error);
  std::uint16_t port() const { return port_; }

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> proc_;
};

/// snmpsimd serving the recordings in tests/data/snmp (community = file name without .snmprec).
class SnmpsimAgent {
 public:
  SnmpsimAgent();
  ~SnmpsimAgent();
  /// Starts and waits (up to 30 s) until community `probe` answers.
  bool start(const std::string& probe, std::string* error);
  std::uint16_t port() const { return port_; }

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> proc_;
};

/// A value for snmpSet.
struct SetValue {
  std::string oid;
  char type;            ///< 't' TimeTicks, 'c' Counter32, 'C' Counter64, 's' string, 'i' integer
  std::string value;
};

/// SNMP SET (v2c) with net-snmp's synchronous API, for snmpsim writecache records (the
/// snmpset tool cannot send a Counter64). Returns an error text or empty on success.
std::string snmpSet(std::uint16_t port, const std::string& community,
                    const std::vector<SetValue>& values);

/// What one poll round emitted.
struct RoundResult {
  std::optional<DevicePoll> device;
  std::vector<InterfaceSample> samples;
};

/// Drives an SnmpPoller round by round on a private io_context.
class PollHarness {
 public:
  explicit PollHarness(PollerLimits limits = {});
  ~PollHarness();
  /// Adds a device; the Result error text on failure.
  std::string add(PollTarget t);
  /// Runs one round of `device` to completion (30 s safety deadline).
  RoundResult round(const std::string& device);
  /// Runs rounds of all `devices` concurrently.
  std::map<std::string, RoundResult> roundAll(const std::vector<std::string>& devices);
  /// Lets the agent's clock advance by running the loop for `d` (real agents only).
  void idle(std::chrono::milliseconds d);
  SnmpPoller& poller();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Path of a file under tests/data/snmp.
std::string dataPath(const std::string& name);

/// A suite sharing one snmpd, started once before its first test; every test fails (not skips)
/// when it did not start.
class SnmpdSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    start_error_.clear();
    agent_ = new SnmpdAgent();
    std::string err;
    if (!agent_->start(&err)) start_error_ = err.empty() ? "snmpd did not start" : err;
  }
  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(start_error_.empty()) << start_error_; }
  static inline SnmpdAgent* agent_ = nullptr;
  static inline std::string start_error_;
};

}  // namespace circuitd::snmp::test
