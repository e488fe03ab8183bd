// `circuitctl poll` end to end against a real snmpd: output, and exit codes for timeout,
// authentication failure and a missing interface.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/snmp_agents.hpp"

using circuitd::testing::CommandResult;
using circuitd::testing::requireTool;
using circuitd::testing::run;
using circuitd::testing::RunOptions;
using circuitd::testing::SnmpdSuite;

namespace {

const std::string kCtl = std::string(CIRCUITD_BINARY_DIR) + "/tools/circuitctl/circuitctl";

class CircuitctlPollTest : public SnmpdSuite {
 protected:
  void SetUp() override {
    SnmpdSuite::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(requireTool(kCtl));
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(agent_->port()); }
  // circuitctl with args: its exit status, stdout and stderr together in `out`.
  int ctl(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), kCtl);
    RunOptions opts;
    opts.merge_stderr = true;
    const CommandResult r = run(args, opts);
    *out = r.out;
    return r.exit_code;
  }
};

}  // namespace

TEST_F(CircuitctlPollTest, JsonShowsStatusCountersAndRatesOnSecondPoll) {
  std::string out;
  ASSERT_EQ(
      ctl({"poll", target(), "--community", "public", "--if", "lo", "--interval", "1.1", "--json"},
          &out),
      0)
      << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')));
  ASSERT_EQ(j["polls"].size(), 2u);
  EXPECT_TRUE(j["polls"][0]["reachable"].get<bool>());
  EXPECT_TRUE(j["polls"][0]["sys_uptime"].is_number());
  const auto& first = j["polls"][0]["interfaces"][0];
  EXPECT_EQ(first["name"], "lo");
  EXPECT_EQ(first["oper"], "up");
  EXPECT_TRUE(first["in_octets"].is_number());
  EXPECT_TRUE(first["in_bps"].is_null());
  EXPECT_TRUE(j["polls"][1]["interfaces"][0]["in_bps"].is_number());
}

TEST_F(CircuitctlPollTest, V3AuthPrivTextOutput) {
  std::string out;
  ASSERT_EQ(ctl({"poll", target(), "--user", "sha256user", "--auth-proto", "SHA-256", "--auth-key",
                 "authpass256", "--priv-proto", "AES", "--priv-key", "privpass256", "--if", "lo"},
                &out),
            0)
      << out;
  EXPECT_NE(out.find("sysUpTime"), std::string::npos);
  EXPECT_NE(out.find("lo (ifIndex 1): admin up, oper up"), std::string::npos) << out;
}

TEST_F(CircuitctlPollTest, WrongKeyExitsWithAuthenticationFailure) {
  std::string out;
  EXPECT_EQ(ctl({"poll", target(), "--user", "shauser", "--auth-key", "wrongpass1", "--priv-key",
                 "privpass123", "--if", "lo"},
                &out),
            4);
  EXPECT_NE(out.find("authentication failure"), std::string::npos) << out;
}

TEST_F(CircuitctlPollTest, NoAnswerExitsWithTimeout) {
  std::string out;
  EXPECT_EQ(
      ctl({"poll", target(), "--community", "wrong", "--timeout", "0.2", "--retries", "1"}, &out),
      3);
  EXPECT_NE(out.find("timeout"), std::string::npos) << out;
}

TEST_F(CircuitctlPollTest, MissingInterfaceExitsNonZeroAndNamesIt) {
  std::string out;
  EXPECT_EQ(ctl({"poll", target(), "--if", "lo", "--if", "GigabitEthernet0/9/9"}, &out), 5);
  EXPECT_NE(out.find("no such interface: GigabitEthernet0/9/9"), std::string::npos) << out;
}

TEST_F(CircuitctlPollTest, BadOptionsAreClearErrors) {
  std::string out;
  EXPECT_EQ(ctl({"poll", "127.0.0.1:99999"}, &out), 1);
  EXPECT_NE(out.find("bad port"), std::string::npos) << out;
  EXPECT_EQ(ctl({"poll", target(), "--profile", "no-such-vendor"}, &out), 1);
  EXPECT_NE(out.find("no-such-vendor"), std::string::npos) << out;
}
