// circuitctl end to end on a real store file: the engine's replay writes the faults of a
// scenario, then faults / report / ack / report-to-carrier / note / sla read and change it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Runs circuitctl with args (no shell: each argument is passed as is).
circuitd::testing::CommandResult circuitctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {circuitd::testing::circuitctlBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return circuitd::testing::run(argv);
}

class CircuitctlFaultsTest : public ::testing::Test {
 protected:
  circuitd::testing::ScratchDir scratch_{"circuitd-cli-"};
  const fs::path& dir_ = scratch_.path();
  const std::string db_ = (dir_ / "replay.db").string();
};

const std::string kScenario = std::string(CIRCUITD_SOURCE_DIR) +
                              "/tests/data/scenarios/02-optical-fading-then-uplink-down.toml";

}  // namespace

TEST_F(CircuitctlFaultsTest, ReplayWritesFaultsThatTheReadCommandsShow) {
  auto rep = circuitctl({"replay", kScenario, "--db", db_});
  ASSERT_EQ(rep.exit_code, 0) << rep.out;

  auto list = circuitctl({"--db", db_, "faults", "--all", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  json faults = json::parse(list.out);
  ASSERT_GE(faults.size(), 1u) << list.out;
  const json& f = faults[0];
  EXPECT_EQ(f["id"], "F-000001");
  EXPECT_EQ(f["circuit"], "STN09913418236");
  EXPECT_EQ(f["decision"]["party"], "carrier");

  auto report = circuitctl({"--db", db_, "report", "F-000001", "--customer",
                            "新疆乌鲁木齐垦区公安局", "--at", "2024-07-01T12:00:00+08:00"});
  ASSERT_EQ(report.exit_code, 0);
  for (const char* must : {"8008281000", "STN09913418236", "交警大队", "公安网", "100 Mbit/s",
                           "新疆乌鲁木齐垦区公安局", "3.2.6", "carrier (China Telecom)"})
    EXPECT_NE(report.out.find(must), std::string::npos) << must << "\n" << report.out;

  auto table = circuitctl({"--db", db_, "sla", "--month", "2024-07", "--csv"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_EQ(table.out.rfind("circuit,link_id,contract,month,", 0), 0u);
  EXPECT_NE(table.out.find("\nSTN09913418236,"), std::string::npos) << table.out;

  // A second replay into the same file would renumber faults: refused.
  EXPECT_NE(circuitctl({"replay", kScenario, "--db", db_}).exit_code, 0);
  EXPECT_NE(circuitctl({"--db", db_, "report", "F-999999"}).exit_code, 0);
}

TEST_F(CircuitctlFaultsTest, PeopleMoveAFaultThroughTheCommandLine) {
  ASSERT_EQ(circuitctl({"replay", kScenario, "--db", db_}).exit_code, 0);
  json f = json::parse(circuitctl({"--db", db_, "faults", "--all", "--json"}).out)[0];
  const std::string id = f["id"];
  if (f["state"] == "open") {
    auto ack =
        circuitctl({"--db", db_, "ack", id, "--by", "wang", "--at", "2024-07-01T09:00:00+08:00"});
    ASSERT_EQ(ack.exit_code, 0) << ack.out;
    EXPECT_EQ(ack.out, id + " acknowledged\n");
    auto t = circuitctl({"--db", db_, "report-to-carrier", id, "--ticket", "GD-2024-0701-17",
                         "--by", "wang", "--at", "2024-07-01T09:05:00+08:00"});
    ASSERT_EQ(t.exit_code, 0);
    EXPECT_EQ(t.out, id + " reported ticket GD-2024-0701-17\n");
    EXPECT_NE(circuitctl({"--db", db_, "close", id, "--by", "zhao"}).exit_code, 0);  // not resolved
  } else {
    ASSERT_EQ(f["state"], "resolved");
    auto c = circuitctl({"--db", db_, "close", id, "--by", "zhao", "--reason", "optics replaced"});
    ASSERT_EQ(c.exit_code, 0);
  }
  ASSERT_EQ(circuitctl({"--db", db_, "note", id, "--by", "wang", "--checked",
                        "UPS 输出正常 / UPS output normal"})
                .exit_code,
            0);
  auto report = circuitctl({"--db", db_, "report", id, "--at", "2024-07-01T12:00:00+08:00"});
  EXPECT_NE(report.out.find("UPS 输出正常 / UPS output normal"), std::string::npos) << report.out;
  EXPECT_NE(circuitctl({"--db", db_, "ack", id}).exit_code, 0);  // --by is required
  EXPECT_NE(circuitctl({"--db", (dir_ / "missing.db").string(), "faults"}).exit_code, 0);
}
