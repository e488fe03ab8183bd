// `circuitctl ping` end to end: the real binary against loopback and a namespace without a route.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/icmp/test_util.hpp"

namespace {

struct CtlRun {
  int rc = -1;
  std::string out;
};

CtlRun circuitctl(const std::string& args, const std::string& prefix = "") {
  const std::string cmd =
      prefix + std::string(CIRCUITD_BINARY_DIR) + "/tools/circuitctl/circuitctl " + args + " 2>&1";
  CtlRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
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
  const CtlRun r = circuitctl("ping 127.0.0.1 127.0.0.9 ::1 --count 4 --interval 100 --json");
  ASSERT_EQ(r.rc, 0) << r.out;
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
  const CtlRun r = circuitctl("ping 127.0.0.1 --count 2 --interval 50");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("TARGET"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("JITTER ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.0%"), std::string::npos) << r.out;
}

TEST_F(CircuitctlPingTest, UnreachableTargetExitsOneAndSaysWhy) {
  // A fresh namespace has its loopback down: no route anywhere, every send fails.
  const std::string ns = "cdping" + std::to_string(::getpid());
  ASSERT_EQ(circuitd::icmp::test::sh("ip netns add " + ns), 0);
  const CtlRun r = circuitctl("ping 127.0.0.1 --count 2 --interval 50 --timeout 200 --json",
                           "ip netns exec " + ns + " ");
  circuitd::icmp::test::sh("ip netns del " + ns);
  ASSERT_EQ(r.rc, 1) << r.out;
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
  EXPECT_EQ(circuitctl("ping 127.0.0.1 --count 0").rc, 2);
  EXPECT_EQ(circuitctl("ping 127.0.0.1 --socket bogus").rc, 2);
}
