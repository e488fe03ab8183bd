// Scenario files are untrusted input: every problem is an error naming file:line:col and the key
// path, never a crash, and a typo never silently drops an expectation.
#include <gtest/gtest.h>

#include "config/scenario_file.hpp"
#include "config/toml/duration.hpp"
#include "domain/engine/scenario.hpp"

namespace circuitd::engine {
namespace {

using config::parseScenario;

// Scenario offsets are signed durations in the project's one grammar (config/toml/duration.hpp).
std::optional<Duration> parseDuration(std::string_view s) {
  auto d = toml::parseDuration(s, toml::Sign::Signed);
  return d ? std::optional<Duration>(*d) : std::nullopt;
}

constexpr const char* kHead = R"(name = "t"
start = "2024-07-01T08:00:00+08:00"

[[device]]
name = "stn-jjdd-01"
site = "交警大队"
aggregation = "agg-wk-01"

[[circuit]]
link_id = "STN09913418236"
row = 1
site = "交警大队"
service = "公安网"
bandwidth_mbps = 100
device = "stn-jjdd-01"
uni = "GE0/2/1"
uplinks = ["GE0/1/0"]
carrier_target = "127.10.1.1"
customer_target = "127.20.1.1"
)";

std::string errorOf(const std::string& tail) {
  auto r = parseScenario(std::string(kHead) + tail, "s.toml");
  return r ? std::string("parsed") : r.error().str();
}

TEST(ScenarioParseTest, ValidScenarioParsesInventoryTimelineAndExpectations) {
  auto r = parseScenario(std::string(kHead) + R"(
[[maintenance]]
id = "CT-1"
start = "+1h"
end = "+2h"
notified = "-2d"
devices = ["stn-jjdd-01"]

[[event]]
at = "+0s"
type = "ping"
targets = ["127.10.1.1", "127.20.1.1"]
repeat = 3
every = "10s"

[[event]]
at = "2024-07-01T00:05:00Z"
type = "trap"
device = "stn-jjdd-01"
kind = "dying_gasp"

[[expect]]
at = "+1m"
circuit = "STN09913418236"
state = "up"
)",
                         "s.toml");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->inventory.circuits.at(0).key, "STN09913418236");
  EXPECT_EQ(r->inventory.circuits.at(0).contract, "XJWLM2405957CGN00");
  EXPECT_EQ(r->inventory.circuits.at(0).bandwidth_mbps, 100.0);
  ASSERT_EQ(r->steps.size(), 7u);
  EXPECT_EQ(r->steps[2].time, *parseIso("2024-07-01T00:00:10Z"));
  EXPECT_EQ(r->steps.back().time, *parseIso("2024-07-01T00:05:00Z"));
  ASSERT_EQ(r->inventory.maintenance.size(), 1u);
  EXPECT_EQ(*r->inventory.maintenance[0].notified_at,
            *parseIso("2024-06-29T01:00:00Z") - std::chrono::hours{1});
  ASSERT_EQ(r->expectations.size(), 1u);
  EXPECT_EQ(r->expectations[0].line, 41);
}

TEST(ScenarioParseTest, TomlSyntaxErrorNamesFileLineColumn) {
  auto e = errorOf("\n[[event]\nat = \"+0s\"\n");
  EXPECT_EQ(e.rfind("s.toml:21:", 0), 0u) << e;
}

TEST(ScenarioParseTest, UnknownKeyIsAnErrorNotIgnored) {
  auto e = errorOf("\n[[expect]]\nat = \"+1m\"\ncircuit = \"STN09913418236\"\nstatus = \"up\"\n");
  EXPECT_NE(e.find("s.toml:24:"), std::string::npos) << e;
  EXPECT_NE(e.find("expect[0].status: unknown key"), std::string::npos) << e;
}

TEST(ScenarioParseTest, ReferencesToUnknownDevicesAndCircuitsAreErrors) {
  EXPECT_NE(errorOf("\n[[event]]\nat = \"+0s\"\ntype = \"poll\"\ndevice = \"nope\"\n")
                .find("unknown device 'nope'"),
            std::string::npos);
  EXPECT_NE(errorOf("\n[[expect]]\nat = \"+0s\"\ncircuit = \"STN0000\"\nstate = \"up\"\n")
                .find("unknown circuit 'STN0000'"),
            std::string::npos);
  EXPECT_NE(
      errorOf("\n[[maintenance]]\nid = \"m\"\nstart = \"+0s\"\nend = \"+1h\"\ncircuits = [\"x\"]\n")
          .find("maintenance[0].circuits: unknown circuit 'x'"),
      std::string::npos);
}

TEST(ScenarioParseTest, BadTimesAndDurationsAreErrors) {
  EXPECT_NE(errorOf("\n[[event]]\nat = \"+5 minutes\"\ntype = \"tick\"\n")
                .find("event[0].at: bad offset"),
            std::string::npos);
  EXPECT_NE(
      errorOf("\n[[event]]\nat = \"yesterday\"\ntype = \"tick\"\n").find("bad time 'yesterday'"),
      std::string::npos);
  EXPECT_NE(errorOf("\n[[event]]\nat = \"+0s\"\ntype = \"tick\"\nrepeat = 3\n")
                .find("repeat needs every"),
            std::string::npos);
  EXPECT_NE(errorOf("\n[[maintenance]]\nid = \"m\"\nstart = \"+1h\"\nend = \"+0s\"\n")
                .find("end must be after start"),
            std::string::npos);
  EXPECT_NE(errorOf("\n[settings]\nflap_window = \"ten minutes\"\n").find("settings.flap_window"),
            std::string::npos);
  std::string many =
      "\n[[event]]\nat = \"+0s\"\ntype = \"ping\"\nrepeat = 100000\nevery = \"1s\"\ntargets = [";
  for (int k = 0; k < 21; ++k) many += (k ? ", \"t" : "\"t") + std::to_string(k) + "\"";
  EXPECT_NE(errorOf(many + "]\n").find("exceed 2,000,000 observations"), std::string::npos);
}

TEST(ScenarioParseTest, UnknownEnumValuesAreErrors) {
  EXPECT_NE(errorOf("\n[[event]]\nat = \"+0s\"\ntype = \"smoke\"\n").find("unknown type 'smoke'"),
            std::string::npos);
  EXPECT_NE(
      errorOf(
          "\n[[event]]\nat = \"+0s\"\ntype = \"trap\"\ndevice = \"stn-jjdd-01\"\nkind = \"gasp\"\n")
          .find("unknown trap kind 'gasp'"),
      std::string::npos);
  EXPECT_NE(
      errorOf("\n[[expect]]\nat = \"+0s\"\ncircuit = \"STN09913418236\"\nstate = \"broken\"\n")
          .find("unknown state 'broken'"),
      std::string::npos);
  EXPECT_NE(errorOf("\n[[expect]]\nat = \"+0s\"\nincident = \"device:x\"\nparty = \"telecom\"\n")
                .find("unknown party"),
            std::string::npos);
}

TEST(ScenarioParseTest, ExpectationsMustCheckSomethingOnSomething) {
  EXPECT_NE(errorOf("\n[[expect]]\nat = \"+0s\"\n").find("expects nothing"), std::string::npos);
  EXPECT_NE(
      errorOf("\n[[expect]]\nat = \"+0s\"\nparty = \"carrier\"\n").find("need a circuit, incident"),
      std::string::npos);
  EXPECT_NE(errorOf("\n[[expect]]\nat = \"+0s\"\nevent = \"incident_opened\"\n")
                .find("event needs count"),
            std::string::npos);
}

TEST(ScenarioParseTest, WrongTypesAreErrorsWithKeyPath) {
  EXPECT_NE(errorOf("\n[[event]]\nat = \"+0s\"\ntype = \"ping\"\ntarget = \"127.20.1.1\"\nreplied "
                    "= \"yes\"\n")
                .find("event[0].replied: expected a boolean (true or false)"),
            std::string::npos);
  EXPECT_NE(errorOf("\n[settings]\ndown_n = 40\n").find("settings.down_n: must be 1..16"),
            std::string::npos);
  auto r = parseScenario("event = 3\n" + std::string(kHead), "s.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(),
            "s.toml:1:1 event: expected an array of tables ([[event]]), got an integer");
}

TEST(ScenarioParseTest, MissingStartAndCircuitsAreErrors) {
  auto r = parseScenario("name = \"x\"\n", "s.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("missing required key 'start'"), std::string::npos);
  auto r2 = parseScenario("start = \"2024-07-01T00:00:00Z\"\n", "s.toml");
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().str().find("no [[circuit]]"), std::string::npos);
}

TEST(ScenarioParseTest, DurationsParse) {
  EXPECT_EQ(parseDuration("+90s"), Duration{90000});
  EXPECT_EQ(parseDuration("-2d"), Duration{-2 * 86400000LL});
  EXPECT_EQ(parseDuration("1h30m"), Duration{5400000});
  EXPECT_EQ(parseDuration("250ms"), Duration{250});
  EXPECT_FALSE(parseDuration("").has_value());
  EXPECT_FALSE(parseDuration("5").has_value());
  EXPECT_FALSE(parseDuration("5 m").has_value());
  EXPECT_FALSE(parseDuration("99999999999s").has_value());
}

}  // namespace
}  // namespace circuitd::engine
