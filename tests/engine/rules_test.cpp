// Demarcation rules as data: the built-in set, loading errors with file:line:col, first match
// wins, and an override file changing the engine's decisions.
#include <gtest/gtest.h>

#include "config/rules_file.hpp"
#include "domain/engine/engine.hpp"
#include "tests/support/engine_events.hpp"

namespace circuitd::engine {
namespace {

using namespace circuitd::testing;
using config::defaultRules;
using config::parseRules;

constexpr const char* kCatchAll = R"(
[[rule]]
id = "catch-all"
when = []
location = "unknown"
party = "undetermined"
next_step = "ask the carrier for a loopback test at the UNI"
)";

std::string errorOf(const std::string& text) {
  auto r = parseRules(text, "rules.toml");
  return r ? std::string("parsed") : r.error().str();
}

TEST(RulesTest, BuiltInSetParsesAndEndsWithACatchAll) {
  const auto& r = defaultRules();
  ASSERT_GE(r.rules.size(), 10u);
  EXPECT_EQ(r.origin, "built-in");
  EXPECT_TRUE(r.rules.back().when.empty());
  EXPECT_EQ(r.rules.back().party, Party::Undetermined);
  for (const auto& rule : r.rules) {
    if (rule.party == Party::Undetermined) {
      EXPECT_FALSE(rule.next_step.empty()) << rule.id;
    }
    if (rule.party == Party::Carrier || rule.party == Party::Customer) {
      EXPECT_FALSE(rule.clause.empty()) << rule.id;
    }
  }
}

TEST(RulesTest, BuiltInClausesAreTheContractsClauses) {
  for (const auto& rule : defaultRules().rules) {
    if (rule.clause.empty()) continue;
    EXPECT_TRUE(rule.clause == "3.2.6" || rule.clause == "3.1.7(6)" || rule.clause == "3.1.10" ||
                rule.clause == "7.5" || rule.clause == "7.6" || rule.clause == "11.1")
        << rule.id << " cites " << rule.clause;
  }
}

TEST(RulesTest, SyntaxErrorNamesLineAndColumn) {
  const auto e = errorOf("[[rule]]\nid = \"x\nwhen = []\n");
  EXPECT_EQ(e.rfind("rules.toml:2:", 0), 0u) << e;
}

TEST(RulesTest, UnknownFactIsAnErrorWithItsPosition) {
  auto e = errorOf(
      "[[rule]]\nid = \"a\"\nwhen = [\"uplink_dwn\"]\nlocation = \"carrier_line\"\nparty = "
      "\"carrier\"\n"
      "clause = \"3.2.6\"\n" +
      std::string(kCatchAll));
  EXPECT_NE(e.find("rules.toml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("rule[0].when[0]"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown fact 'uplink_dwn'"), std::string::npos) << e;
}

TEST(RulesTest, UnknownLocationPartyAndKeyAreErrors) {
  EXPECT_NE(errorOf("[[rule]]\nid = \"a\"\nwhen = []\nlocation = \"moon\"\nparty = "
                    "\"carrier\"\nclause = \"3.2.6\"\n")
                .find("unknown location 'moon'"),
            std::string::npos);
  EXPECT_NE(errorOf("[[rule]]\nid = \"a\"\nwhen = []\nlocation = \"unknown\"\nparty = \"god\"\n")
                .find("unknown party"),
            std::string::npos);
  EXPECT_NE(errorOf("[[rule]]\nid = \"a\"\nwhen = []\nlocation = \"unknown\"\nparty = "
                    "\"undetermined\"\nnext_step = \"x\"\n"
                    "colour = \"red\"\n")
                .find("rule[0].colour: unknown key"),
            std::string::npos);
}

TEST(RulesTest, UndeterminedRuleMustSayWhatWouldSettleIt) {
  auto e = errorOf(
      "[[rule]]\nid = \"a\"\nwhen = []\nlocation = \"unknown\"\nparty = \"undetermined\"\n");
  EXPECT_NE(e.find("next_step"), std::string::npos) << e;
}

TEST(RulesTest, PartyWithoutClauseIsAnError) {
  auto e = errorOf(
      "[[rule]]\nid = \"a\"\nwhen = [\"uplink_down\"]\nlocation = \"carrier_line\"\nparty = "
      "\"carrier\"\n" +
      std::string(kCatchAll));
  EXPECT_NE(e.find("must cite a clause"), std::string::npos) << e;
}

TEST(RulesTest, LastRuleMustCatchEverything) {
  auto e = errorOf(
      "[[rule]]\nid = \"a\"\nwhen = [\"uplink_down\"]\nlocation = \"carrier_line\"\nparty = "
      "\"carrier\"\n"
      "clause = \"3.2.6\"\n");
  EXPECT_NE(e.find("last rule must have no conditions"), std::string::npos) << e;
}

TEST(RulesTest, DuplicateIdsAndDoubleTestedFactsAreErrors) {
  EXPECT_NE(errorOf(std::string(kCatchAll) + kCatchAll).find("duplicate rule id"),
            std::string::npos);
  EXPECT_NE(
      errorOf("[[rule]]\nid = \"a\"\nwhen = [\"uni_down\", \"!uni_down\"]\nlocation = \"unknown\"\n"
              "party = \"undetermined\"\nnext_step = \"x\"\n" +
              std::string(kCatchAll))
          .find("tested twice"),
      std::string::npos);
}

TEST(RulesTest, FirstMatchingRuleWins) {
  auto r = parseRules(R"(
[[rule]]
id = "first"
when = ["uni_down"]
location = "customer_equipment"
party = "customer"
clause = "7.5"

[[rule]]
id = "second"
when = ["uni_down", "!device_silent"]
location = "carrier_edge_device"
party = "carrier"
clause = "3.2.6"
)" + std::string(kCatchAll),
                      "rules.toml");
  ASSERT_TRUE(r) << r.error().str();
  FactSet f;
  f.set(Fact::UniDown, true);
  f.set(Fact::DeviceSilent, false);
  EXPECT_EQ(r->match(f)->id, "first");
  FactSet g;
  g.set(Fact::UniDown, false);
  EXPECT_EQ(r->match(g)->id, "catch-all");
}

TEST(RulesTest, UnknownConditionMatchesOnlyMissingEvidence) {
  auto r = parseRules(R"(
[[rule]]
id = "no-snmp"
when = ["?device_silent"]
location = "unknown"
party = "undetermined"
next_step = "grant SNMP read access to the carrier device"
)" + std::string(kCatchAll),
                      "rules.toml");
  ASSERT_TRUE(r) << r.error().str();
  FactSet f;
  EXPECT_EQ(r->match(f)->id, "no-snmp");
  f.set(Fact::DeviceSilent, false);
  EXPECT_EQ(r->match(f)->id, "catch-all");
}

TEST(RulesTest, OverrideFileChangesTheEnginesDecision) {
  // A NOC that reads its maintenance annex as putting the UNI patch cord on the carrier side.
  auto r = parseRules(R"(
[[rule]]
id = "uni-down-patch-cord-carrier"
when = ["circuit_down", "uni_down", "!device_silent"]
location = "carrier_edge_device"
party = "carrier"
clause = "3.2.6"
summary = "UNI down on {device}; the patch cord is the carrier's in this annex"
)" + std::string(kCatchAll),
                      "noc-rules.toml");
  ASSERT_TRUE(r) << r.error().str();
  Inventory inv = fleet(2);
  Engine e(inv, *r);
  for (int s = 0; s < 100; s += 10) {
    InterfaceSample uni;
    uni.device = "dev-0";
    uni.if_name = "GE0/2/1";
    uni.time = at(s);
    uni.admin = IfStatus::Up;
    uni.oper = s < 30 ? IfStatus::Up : IfStatus::Down;
    e.observe(uni);
    e.observe(ping(inv.circuits[0].customer_target, at(s), s < 30));
  }
  auto c = e.circuit(inv.circuits[0].key);
  EXPECT_EQ(c->state, CircuitState::Down);
  EXPECT_EQ(c->decision.rule_id, "uni-down-patch-cord-carrier");
  EXPECT_EQ(c->decision.party, Party::Carrier);
  EXPECT_EQ(c->decision.summary,
            "UNI down on dev-0; the patch cord is the carrier's in this annex");
}

}  // namespace
}  // namespace circuitd::engine
