// circuitctl replay end to end: the real binary on scenario files, its JSON, its exit codes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace {

// circuitctl with args; stdout and stderr together, as a terminal shows them.
circuitd::testing::CommandResult run(std::vector<std::string> args) {
  args.insert(args.begin(), CIRCUITCTL_PATH);
  circuitd::testing::RunOptions opts;
  opts.merge_stderr = true;
  return circuitd::testing::run(args, opts);
}

std::string scenario(const std::string& name) {
  return std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/scenarios/" + name + ".toml";
}

TEST(ReplayCliTest, JsonCarriesIncidentPartyAndClause) {
  auto r = run({"replay", scenario("04-dying-gasp-then-silent"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["open_incidents"].size(), 1u);
  EXPECT_EQ(j["open_incidents"][0]["root_cause"], "device:stn-jjdd-01");
  EXPECT_EQ(j["open_incidents"][0]["decision"]["party"], "customer");
  EXPECT_EQ(j["open_incidents"][0]["decision"]["clause"], "3.1.7(6)");
  EXPECT_FALSE(j["open_incidents"][0]["decision"]["evidence"].empty());
}

TEST(ReplayCliTest, ReadableTimelineNamesIncidentsLocationsPartiesAndClauses) {
  auto r = run({"replay", scenario("06-aggregation-node-fails")});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("incident_opened"), std::string::npos);
  EXPECT_NE(r.out.find("root aggregation:agg-wk-01 (8 circuits)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("carrier_network / carrier / clause 3.2.6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expectations: 5/5 met"), std::string::npos) << r.out;
}

TEST(ReplayCliTest, UnmetExpectationExitsThreeNamingTheLine) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("circuitd-replay-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ifstream in(scenario("04-dying-gasp-then-silent"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text += "\n[[expect]]\nat = \"+6m\"\ncircuit = \"STN09913418236\"\nparty = \"carrier\"\n";
  const auto file = dir / "wrong.toml";
  std::ofstream(file) << text;
  auto r = run({"replay", file.string()});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("FAILED wrong.toml:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("party carrier != customer"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

TEST(ReplayCliTest, InvalidScenarioExitsOneWithPosition) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("circuitd-replay-bad-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "bad.toml";
  std::ofstream(file)
      << "start = \"2024-07-01T00:00:00Z\"\n[[circuit]]\nlink_id = \"X\"\ncolour = 1\n";
  auto r = run({"replay", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("bad.toml:4:1 circuit[0].colour: unknown key"), std::string::npos) << r.out;
  auto missing = run({"replay", (dir / "absent.toml").string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  std::filesystem::remove_all(dir);
}

TEST(ReplayCliTest, RulesFileReplacesTheBuiltInSet) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("circuitd-replay-rules-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto rules = dir / "rules.toml";
  std::ofstream(rules)
      << "[[rule]]\nid = \"everything-undetermined\"\nwhen = []\nlocation = \"unknown\"\n"
         "party = \"undetermined\"\nnext_step = \"look\"\n";
  auto r =
      run({"replay", scenario("04-dying-gasp-then-silent"), "--json", "--rules", rules.string()});
  EXPECT_EQ(r.exit_code, 3) << "the scenario expects customer power";
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["open_incidents"][0]["decision"]["rule"], "everything-undetermined");
  std::filesystem::remove_all(dir);
}

}  // namespace
