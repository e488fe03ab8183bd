// Correlation: outages starting together on a shared aggregation node become one incident whose
// children raise no alarm; partial recovery splits honestly; the monitor going blind is one alarm.
#include <gtest/gtest.h>

#include "config/rules_file.hpp"
#include "domain/engine/engine.hpp"
#include "tests/support/engine_events.hpp"

namespace circuitd::engine {
namespace {

using namespace circuitd::testing;
using config::defaultRules;

class CorrelationTest : public ::testing::Test {
 protected:
  CorrelationTest() : inv_(fleet(6, 2)), engine_(inv_, defaultRules()) {}
  // One poll round + one ping round at second s; devices in `down` silent and unreachable.
  void round(int s, const std::vector<int>& down) {
    for (int i = 0; i < 6; ++i) {
      const bool bad = std::find(down.begin(), down.end(), i) != down.end();
      DevicePoll p;
      p.device = inv_.devices[i].name;
      p.time = at(s);
      p.reachable = !bad;
      engine_.observe(p);
      engine_.observe(ping(inv_.circuits[i].carrier_target, at(s), !bad));
      engine_.observe(ping(inv_.circuits[i].customer_target, at(s), !bad));
    }
    engine_.tick(at(s));
  }
  Inventory inv_;
  Engine engine_;
};

TEST_F(CorrelationTest, AggregationOutageIsOneIncidentAnnouncedWhenTheWindowCloses) {
  for (int s = 0; s < 60; s += 10) round(s, {});
  engine_.drain();
  for (int s = 60; s < 120; s += 10) round(s, {0, 2, 4});  // agg-0
  auto early = engine_.drain();
  EXPECT_TRUE(ofKind(early, EngineEventKind::IncidentOpened).empty())
      << "announced before the window closed";
  for (int s = 120; s < 200; s += 10) round(s, {0, 2, 4});
  auto ev = engine_.drain();
  auto opened = ofKind(ev, EngineEventKind::IncidentOpened);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].root_cause, "aggregation:agg-0");
  EXPECT_EQ(opened[0].circuits.size(), 3u);
  EXPECT_EQ(opened[0].decision.party, Party::Carrier);
  EXPECT_EQ(opened[0].decision.clause, "3.2.6");
  EXPECT_EQ(opened[0].decision.rule_id, "carrier-aggregation-node");
  for (const auto& e : ofKind(early, EngineEventKind::CircuitStateChanged)) {
    EXPECT_TRUE(e.suppressed) << e.circuit << " raised its own alarm";
    EXPECT_EQ(e.incident, opened[0].incident);
  }
  EXPECT_EQ(engine_.circuit(inv_.circuits[1].key)->state, CircuitState::Up);
}

TEST_F(CorrelationTest, PartialRecoverySplitsAndReRootsTheIncident) {
  for (int s = 0; s < 60; s += 10) round(s, {});
  for (int s = 60; s < 200; s += 10) round(s, {0, 2, 4});
  engine_.drain();
  for (int s = 200; s < 300; s += 10) round(s, {4});
  auto ev = engine_.drain();
  auto splits = ofKind(ev, EngineEventKind::IncidentSplit);
  // Both devices come back in the same round: one split for that instant, naming both.
  ASSERT_EQ(splits.size(), 1u);
  EXPECT_EQ(splits[0].removed,
            (std::vector<std::string>{inv_.circuits[0].key, inv_.circuits[2].key}));
  EXPECT_EQ(splits[0].root_cause, "circuit:" + inv_.circuits[4].key);
  EXPECT_EQ(splits[0].circuits, std::vector<std::string>{inv_.circuits[4].key});
  auto open = engine_.openIncidents();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, splits[0].incident) << "the incident keeps its id when it splits";
  // Alone now, the silent device no longer has failing neighbours: the aggregation explanation no
  // longer holds for it, so its decision is re-made and becomes undetermined, not a guess.
  auto c = engine_.circuit(inv_.circuits[4].key);
  EXPECT_EQ(c->decision.party, Party::Undetermined);
  EXPECT_EQ(c->decision.rule_id, "device-silent-no-trap");
  EXPECT_EQ(engine_.openIncidents()[0].decision.party, Party::Undetermined);
}

TEST_F(CorrelationTest, SimultaneousOutagesOnDifferentNodesAndSitesStayApart) {
  for (int s = 0; s < 60; s += 10) round(s, {});
  for (int s = 60; s < 200; s += 10) round(s, {0, 1});  // dev-0 on agg-0, dev-1 on agg-1
  auto open = engine_.openIncidents();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].circuits.size(), 1u);
  EXPECT_EQ(open[1].circuits.size(), 1u);
}

TEST_F(CorrelationTest, MonitorUplinkDownIsOneAlarmAndCircuitsGoUnknown) {
  for (int s = 0; s < 60; s += 10) round(s, {});
  engine_.drain();
  MonitorHealth h;
  h.time = at(60);
  h.uplink_up = false;
  h.detail = "eth0 down";
  engine_.observe(h);
  for (int s = 60; s < 300; s += 10) round(s, {0, 1, 2, 3, 4, 5});
  auto ev = engine_.drain();
  EXPECT_EQ(ofKind(ev, EngineEventKind::MonitorBlind).size(), 1u);
  EXPECT_TRUE(ofKind(ev, EngineEventKind::IncidentOpened).empty());
  for (const auto& e : ofKind(ev, EngineEventKind::CircuitStateChanged)) EXPECT_TRUE(e.suppressed);
  for (const auto& c : engine_.circuits()) EXPECT_EQ(c.state, CircuitState::Unknown) << c.key;
  EXPECT_TRUE(engine_.monitorBlind());
}

TEST_F(CorrelationTest, AllProbesFailingAtOnceIsMonitorBlindWithoutAHealthReport) {
  for (int s = 0; s < 60; s += 10) round(s, {});
  engine_.drain();
  for (int s = 60; s < 300; s += 10) round(s, {0, 1, 2, 3, 4, 5});
  auto ev = engine_.drain();
  ASSERT_EQ(ofKind(ev, EngineEventKind::MonitorBlind).size(), 1u);
  EXPECT_NE(ofKind(ev, EngineEventKind::MonitorBlind)[0].decision.summary.find(
                "probe targets failed at once"),
            std::string::npos);
  EXPECT_TRUE(ofKind(ev, EngineEventKind::IncidentOpened).empty());
  // The first target answering again ends the blindness.
  round(300, {});
  EXPECT_FALSE(engine_.monitorBlind());
  EXPECT_EQ(ofKind(engine_.drain(), EngineEventKind::MonitorRecovered).size(), 1u);
}

TEST_F(CorrelationTest, EventsAreDrainedInTimeOrder) {
  for (int s = 0; s < 60; s += 10) round(s, {});
  for (int s = 60; s < 400; s += 10)
    round(s, s < 250 ? std::vector<int>{0, 2} : std::vector<int>{});
  auto ev = engine_.drain();
  ASSERT_FALSE(ev.empty());
  for (std::size_t i = 1; i < ev.size(); ++i) EXPECT_LE(ev[i - 1].time, ev[i].time) << i;
  EXPECT_EQ(ofKind(ev, EngineEventKind::IncidentResolved).size(), 1u);
}

TEST_F(CorrelationTest, EveryOutageDecisionCarriesEvidenceAndTheRule) {
  for (int s = 0; s < 60; s += 10) round(s, {});
  for (int s = 60; s < 200; s += 10) round(s, {3});
  auto c = engine_.circuit(inv_.circuits[3].key);
  ASSERT_EQ(c->state, CircuitState::Down);
  EXPECT_FALSE(c->decision.rule_id.empty());
  auto has = [&](const std::string& n) {
    for (const auto& e : c->decision.evidence)
      if (e.name == n) return true;
    return false;
  };
  for (const char* n : {"device_snmp", "uni_oper", "uplink_oper", "carrier_icmp", "customer_icmp",
                        "aggregation_failing", "site_failing", "facts"})
    EXPECT_TRUE(has(n)) << n;
  EXPECT_EQ(c->decision.party, Party::Undetermined)
      << "a lone silent device without a trap is not guessed";
  EXPECT_NE(c->decision.next_step.find("8008281000"), std::string::npos);
}

}  // namespace
}  // namespace circuitd::engine
