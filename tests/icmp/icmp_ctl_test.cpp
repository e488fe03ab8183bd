// `circuitctl ping` end to end: the real binary against loopback and a namespace without a route.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/icmp/test_util.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace {

using circuitd::testing::CommandResult;
using circuitd::testing::Netns;

// circuitctl with args (inside `ns` when given); stdout and stderr together.
CommandResult circuitctl(const std::vector<std::string>& args, const Netns* ns = nullptr) {
  std::vector<std::string> argv = {circuitd::testing::circuitctlBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (ns != nullptr) argv = ns->wrap(argv);
  circuitd::testing::RunOptions opts;
  opts.merge_stderr = true;
  return circuitd::testing::run(argv, opts);
}

class CircuitctlPingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto missing = circuitd::icmp::test::missingPrerequisite(true);
    ASSERT_TRUE(missing.empty()) << missing;
  }
};

}  // namespace

TEST_F(CircuitctlPingTest, JsonReportsPerTargetStatisticsForLoopback) {
  const auto r = circuitctl(
      {"ping", "127.0.0.1", "127.0.0.9", "::1", "--count", "4", "--interval", "100", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["targets"].size(), 3u);
  for (const auto& t : j["targets"]) {
    EXPECT_EQ(t["sent"], 4) << t.dump();
    EXPECT_EQ(t["received"], 4) << t.dump();
    EXPECT_EQ(t["loss"], 0.0);
    const double mn = t["min_ms"];
    const double avg = t["avg_ms"];
    const double mx = t["max_ms"];
    EXPECT_GT(mn, 0.0);
    EXPECT_LE(mn, avg);
    EXPECT_LE(avg, mx);
    EXPECT_LT(mx, 100.0);
    EXPECT_TRUE(t["jitter_ms"].is_number());
    EXPECT_TRUE(t["errors"].empty());
  }
  EXPECT_EQ(j["targets"][2]["target"], "::1");
}

TEST_F(CircuitctlPingTest, TableHasOneRowPerTarget) {
  const auto r = circuitctl({"ping", "127.0.0.1", "--count", "2", "--interval", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("TARGET"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("JITTER ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.0%"), std::string::npos) << r.out;
}

TEST_F(CircuitctlPingTest, UnreachableTargetExitsOneAndSaysWhy) {
  // A fresh namespace has its loopback down: no route anywhere, every send fails.
  circuitd::testing::NetnsOptions no_route;
  no_route.loopback_up = false;
  Netns ns("cdping", no_route);
  ASSERT_TRUE(ns.ok()) << ns.error();
  const auto r = circuitctl(
      {"ping", "127.0.0.1", "--count", "2", "--interval", "50", "--timeout", "200", "--json"}, &ns);
  ASSERT_EQ(r.exit_code, 1) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  const auto& t = j["targets"][0];
  EXPECT_EQ(t["received"], 0);
  EXPECT_EQ(t["loss"], 1.0);
  EXPECT_TRUE(t["min_ms"].is_null());
  ASSERT_EQ(t["errors"].size(), 1u) << t.dump();
  const std::string why = t["errors"].begin().key();
  EXPECT_NE(why.find("send failed"), std::string::npos) << why;
}

TEST_F(CircuitctlPingTest, InvalidArgumentsExitTwo) {
  EXPECT_EQ(circuitctl({"ping", "127.0.0.1", "--count", "0"}).exit_code, 2);
  EXPECT_EQ(circuitctl({"ping", "127.0.0.1", "--socket", "bogus"}).exit_code, 2);
}
