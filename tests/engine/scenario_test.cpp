// One test case per scenario file in tests/data/scenarios: each file carries its own timeline and
// expectations (states, incidents, locations, parties, clauses); the test fails on any miss.
#include "domain/engine/scenario.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/rules_file.hpp"
#include "config/scenario_file.hpp"

namespace circuitd::engine {
namespace {

namespace fs = std::filesystem;
using config::defaultRules;
using config::parseScenario;

fs::path scenarioDir() { return fs::path(CIRCUITD_SOURCE_DIR) / "tests" / "data" / "scenarios"; }

std::vector<std::string> scenarioNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(scenarioDir()))
    if (e.path().extension() == ".toml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, MeetsEveryExpectation) {
  const fs::path file = scenarioDir() / (GetParam() + ".toml");
  auto sc = parseScenario(readFile(file), file.filename().string());
  ASSERT_TRUE(sc.has_value()) << sc.error().str();
  ASSERT_FALSE(sc->expectations.empty()) << "a scenario without expectations cannot fail";
  auto res = runScenario(*sc, defaultRules());
  for (const auto& c : res.checks) EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(res.checks.size(), sc->expectations.size());
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(scenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = "s" + i.param;
                           for (auto& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(ScenarioSuite, HasAtLeastFortyScenarios) { EXPECT_GE(scenarioNames().size(), 40u); }

}  // namespace
}  // namespace circuitd::engine
