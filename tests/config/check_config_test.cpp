// The real `circuitd --check-config` binary: exit 0 with a summary on the bundled demo, exit 1
// naming every mistake with its line on a broken config; and the config logger when starting.
#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace {

using circuitd::testing::run;
using circuitd::testing::RunOptions;

const std::string kCircuitd = CIRCUITD_BINARY_DIR "/daemon/circuitd";
const std::string kDemo = CIRCUITD_SOURCE_DIR "/config/demo.toml";
const std::string kThree = CIRCUITD_SOURCE_DIR "/tests/data/config/three_mistakes.toml";

TEST(CheckConfig, BundledDemoIsValidAndSummarised) {
  const auto r = run({kCircuitd, "--config", kDemo, "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      r.out.find(kDemo + ": OK: 1 device, 10 circuits, 20 probe targets, 1 maintenance window"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("demo/inventory.toml"), std::string::npos) << "lists the included files:\n"
                                                                  << r.out;
  EXPECT_EQ(r.err.find("error:"), std::string::npos) << r.err;
}

TEST(CheckConfig, ThreeDifferentMistakesAreAllNamedWithTheirLinesAndExitOne) {
  const auto r = run({kCircuitd, "--config", kThree, "--check-config"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("error: " + kThree + ":6:1 device[0].comunity: unknown key 'comunity'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("error: " + kThree +
                       ":11:1 circuit[0].device: circuit 'STN09913418236' names "
                       "unknown device 'atn-99'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("error: " + kThree +
                       ":12:1 circuit[0].bandwidth_mbps: bandwidth_mbps = 0 is out of range"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(kThree + ": 3 errors"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "no summary for an invalid config";
}

TEST(CheckConfig, StartingOnABrokenConfigLogsThroughTheConfigLoggerAndExitsOne) {
  const auto r = run({kCircuitd, "--config", kThree});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("[config] " + kThree + ":6:1 device[0].comunity"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("3 error(s), not starting"), std::string::npos) << r.err;
}

TEST(CheckConfig, LogLevelCriticalHidesErrorLinesButKeepsTheVerdict) {
  const auto r = run({kCircuitd, "--config", kThree, "--log-level", "critical"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find("comunity"), std::string::npos) << "error-level lines must be filtered:\n"
                                                       << r.err;
  EXPECT_NE(r.err.find("not starting"), std::string::npos) << r.err;
}

TEST(CheckConfig, UnderJournaldLinesCarryAPriorityPrefixAndNoTimestamp) {
  const auto journal = run({kCircuitd, "--config", kThree}, RunOptions{.stderr_is_journal = true});
  EXPECT_EQ(journal.exit_code, 1);
  EXPECT_NE(journal.err.find("<3>error [config] " + kThree + ":6:1"), std::string::npos)
      << journal.err;
  EXPECT_NE(journal.err.find("<4>warning [config] " + kThree + ": file mode "), std::string::npos)
      << journal.err;
  EXPECT_NE(journal.err.find("<2>critical [config] "), std::string::npos) << journal.err;
  for (std::size_t at = 0; at < journal.err.size();) {
    EXPECT_EQ(journal.err[at], '<') << "every line starts with its priority, no time:\n"
                                    << journal.err;
    const auto nl = journal.err.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  const auto tty = run({kCircuitd, "--config", kThree});
  EXPECT_TRUE(tty.err.rfind("20", 0) == 0 && tty.err.find(" error [config] ") != std::string::npos)
      << "elsewhere each line starts with the date:\n"
      << tty.err;
}

}  // namespace
