// The real `circuitd --check-config` binary: exit 0 with a summary on the bundled demo, exit 1
// naming every mistake with its line on a broken config; and the config logger when starting.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace {

using circuitd::testing::run;
using circuitd::testing::RunOptions;
using circuitd::testing::ScratchDir;
using circuitd::testing::writeFile;

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

TEST(CheckConfig, AStorePathThatIsADirectoryIsRejectedWithTheKeyAndTheReason) {
  ScratchDir dir("circuitd-check-");
  std::filesystem::create_directory(dir.path() / "db");
  const auto cfg = (dir.path() / "circuitd.toml").string();
  writeFile(cfg, "[daemon]\nstate_dir = \"state\"\n\n[store]\npath = \"db\"\n");
  const auto r = run({kCircuitd, "--config", cfg, "--check-config"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("error: " + cfg + ":5:1 store.path: store '" + (dir.path() / "db").string() +
                       "': Is a directory"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "") << "no summary for an invalid config";
  // Starting is refused the same way, before anything is opened.
  const auto s = run({kCircuitd, "--config", cfg}, RunOptions{.timeout = std::chrono::seconds(10)});
  EXPECT_EQ(s.exit_code, 1) << s.err;
  EXPECT_NE(s.err.find("store.path: store '" + (dir.path() / "db").string() + "': Is a directory"),
            std::string::npos)
      << s.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state")) << "nothing started";
}

TEST(CheckConfig, AnUnreadableIncludeIsNamedAtItsIncludeWithTheReason) {
  // Root reads a mode-000 file, so the check runs as nobody (uid 65534) in a child.
  ScratchDir dir("circuitd-check-");
  ::chmod(dir.path().c_str(), 0777);  // nobody may create the state directory here
  const auto cfg = (dir.path() / "circuitd.toml").string();
  writeFile(cfg, "include = [\"secret.toml\"]\n\n[daemon]\nstate_dir = \"state\"\n");
  writeFile(dir.path() / "secret.toml", "[http]\nenabled = false\n");
  ::chmod(cfg.c_str(), 0644);
  ::chmod((dir.path() / "secret.toml").c_str(), 0);
  const std::string err = circuitd::testing::runInChild([&] {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return std::string("cannot become nobody");
    return run({kCircuitd, "--config", cfg, "--check-config"}).err;
  });
  EXPECT_NE(err.find("error: " + cfg + ":1:12 include[0]: cannot read configuration file '" +
                     (dir.path() / "secret.toml").string() + "': Permission denied"),
            std::string::npos)
      << err;
}

}  // namespace

TEST(CheckConfig, CircuitctlReadsTheInventoryWithoutCheckingTheStore) {
  // An operator who is not the daemon's user reads the inventory (pcap-stats, test-throughput):
  // the store path is the daemon's business, so a store path the reader cannot use is no error.
  ScratchDir dir("circuitd-check-");
  std::filesystem::create_directory(dir.path() / "db");
  const auto cfg = (dir.path() / "circuitd.toml").string();
  writeFile(cfg, "[daemon]\nstate_dir = \"state\"\n\n[store]\npath = \"db\"\n");
  const auto daemon = run({kCircuitd, "--config", cfg, "--check-config"});
  ASSERT_EQ(daemon.exit_code, 1) << daemon.err;
  const auto ctl = run({CIRCUITD_BINARY_DIR "/tools/circuitctl/circuitctl", "pcap-stats",
                        CIRCUITD_SOURCE_DIR "/tests/data/capture/no-such.pcap", "--config", cfg});
  EXPECT_EQ(ctl.err.find("store.path"), std::string::npos) << ctl.err;
  EXPECT_NE(ctl.err.find("no-such.pcap"), std::string::npos) << ctl.err;
}
