// Per-circuit state machine: N of M to go down, K to recover, one sample per instant, staleness,
// flap damping and configuration reload.
#include <gtest/gtest.h>

#include "config/rules_file.hpp"
#include "domain/engine/engine.hpp"
#include "tests/support/engine_events.hpp"

namespace circuitd::engine {
namespace {

using namespace circuitd::testing;
using config::defaultRules;

class HysteresisTest : public ::testing::Test {
 protected:
  HysteresisTest() : inv_(fleet(4)), engine_(inv_, defaultRules(), settings()) {}
  static EngineSettings settings() {
    EngineSettings s;
    s.down_n = 3;
    s.window_m = 5;
    s.recover_k = 3;
    return s;
  }
  // Feeds the customer target of circuit 0 and keeps the others answering.
  void feed(int second, bool replied) {
    engine_.observe(ping(inv_.circuits[0].customer_target, at(second), replied));
    engine_.observe(ping(inv_.circuits[1].customer_target, at(second), true));
  }
  CircuitState state() { return engine_.circuit(inv_.circuits[0].key)->state; }
  Inventory inv_;
  Engine engine_;
};

TEST_F(HysteresisTest, StartsUnknownAndComesUpAfterKGoodSamples) {
  EXPECT_EQ(state(), CircuitState::Unknown);
  feed(0, true);
  feed(10, true);
  EXPECT_EQ(state(), CircuitState::Unknown);
  feed(20, true);
  EXPECT_EQ(state(), CircuitState::Up);
}

TEST_F(HysteresisTest, GoesDownOnlyAfterNFailuresInTheLastM) {
  for (int i = 0; i < 5; ++i) feed(i * 10, true);
  feed(50, false);
  feed(60, true);
  feed(70, false);
  EXPECT_EQ(state(), CircuitState::Up) << "2 of 5 failing must not take it down";
  feed(80, false);
  EXPECT_EQ(state(), CircuitState::Down) << "3 of the last 5 failing takes it down";
}

TEST_F(HysteresisTest, RecoversOnlyAfterKConsecutiveSuccesses) {
  for (int i = 0; i < 5; ++i) feed(i * 10, true);
  for (int i = 5; i < 9; ++i) feed(i * 10, false);
  ASSERT_EQ(state(), CircuitState::Down);
  feed(90, true);
  feed(100, true);
  EXPECT_EQ(state(), CircuitState::Down);
  feed(110, false);
  feed(120, true);
  feed(130, true);
  EXPECT_EQ(state(), CircuitState::Down) << "a failure restarts the run of successes";
  feed(140, true);
  EXPECT_EQ(state(), CircuitState::Up);
}

TEST_F(HysteresisTest, ObservationsOfOneInstantCountAsOneSample) {
  for (int i = 0; i < 5; ++i) feed(i * 10, true);
  // Five failing messages at the same instant are one failing sample, not five.
  for (int k = 0; k < 5; ++k)
    engine_.observe(ping(inv_.circuits[0].customer_target, at(50), false));
  EXPECT_EQ(state(), CircuitState::Up);
}

TEST_F(HysteresisTest, NoDataForStaleAfterMakesTheCircuitUnknownNotDown) {
  for (int i = 0; i < 5; ++i) feed(i * 10, true);
  ASSERT_EQ(state(), CircuitState::Up);
  engine_.tick(at(40 + 119));
  EXPECT_EQ(state(), CircuitState::Up);
  engine_.tick(at(40 + 121));
  EXPECT_EQ(state(), CircuitState::Unknown);
  auto ev = engine_.drain();
  for (const auto& e : ofKind(ev, EngineEventKind::IncidentOpened))
    ADD_FAILURE() << "no incident for no data: " << e.incident;
}

class FlapTest : public ::testing::Test {
 protected:
  static EngineSettings settings() {
    EngineSettings s;
    s.down_n = 2;
    s.window_m = 3;
    s.recover_k = 2;
    s.flap_count = 5;
    s.flap_window = std::chrono::minutes{10};
    s.flap_hold = std::chrono::minutes{5};
    return s;
  }
  FlapTest() : inv_(fleet(2)), engine_(inv_, defaultRules(), settings()) {}
  // One bounce: 3 failures then 5 replies, 10 s apart, from second `s`.
  int bounce(int s) {
    for (int i = 0; i < 3; ++i, s += 10)
      engine_.observe(ping(inv_.circuits[0].customer_target, at(s), false));
    for (int i = 0; i < 5; ++i, s += 10)
      engine_.observe(ping(inv_.circuits[0].customer_target, at(s), true));
    return s;
  }
  Inventory inv_;
  Engine engine_;
};

TEST_F(FlapTest, FiveBouncesInTenMinutesAreOneFlappingIncident) {
  int s = 0;
  for (int i = 0; i < 3; ++i, s += 10)
    engine_.observe(ping(inv_.circuits[0].customer_target, at(s), true));
  for (int b = 0; b < 5; ++b) s = bounce(s);
  engine_.tick(at(s));
  auto ev = engine_.drain();
  EXPECT_EQ(ofKind(ev, EngineEventKind::IncidentOpened).size(), 1u);
  auto c = engine_.circuit(inv_.circuits[0].key);
  EXPECT_TRUE(c->flapping);
  EXPECT_EQ(c->state, CircuitState::Down) << "a flapping circuit is held in its outage";
  auto open = engine_.openIncidents();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_TRUE(open[0].flapping);
  // Every incident event concerns the same incident id.
  for (const auto& e : ev) {
    if (e.kind != EngineEventKind::CircuitStateChanged) {
      EXPECT_EQ(e.incident, open[0].id);
    }
  }
}

TEST_F(FlapTest, FlappingCircuitComesBackAfterQuietHold) {
  int s = 0;
  for (int i = 0; i < 3; ++i, s += 10)
    engine_.observe(ping(inv_.circuits[0].customer_target, at(s), true));
  for (int b = 0; b < 5; ++b) s = bounce(s);
  const int quiet_from = s;
  for (; s < quiet_from + 240; s += 10)
    engine_.observe(ping(inv_.circuits[0].customer_target, at(s), true));
  EXPECT_EQ(engine_.circuit(inv_.circuits[0].key)->state, CircuitState::Down);
  for (; s < quiet_from + 260; s += 10)
    engine_.observe(ping(inv_.circuits[0].customer_target, at(s), true));
  auto c = engine_.circuit(inv_.circuits[0].key);
  EXPECT_EQ(c->state, CircuitState::Up);
  EXPECT_FALSE(c->flapping);
  engine_.tick(at(s));
  EXPECT_TRUE(engine_.openIncidents().empty());
}

TEST_F(FlapTest, FourBouncesAreNotFlapping) {
  int s = 0;
  for (int i = 0; i < 3; ++i, s += 10)
    engine_.observe(ping(inv_.circuits[0].customer_target, at(s), true));
  for (int b = 0; b < 4; ++b) s = bounce(s);
  EXPECT_FALSE(engine_.circuit(inv_.circuits[0].key)->flapping);
  EXPECT_EQ(engine_.circuit(inv_.circuits[0].key)->state, CircuitState::Up);
}

TEST(ReloadTest, SetInventoryKeepsUnchangedCircuitsAndResetsChangedOnes) {
  Inventory inv = fleet(3);
  Engine e(inv, defaultRules());
  for (int s = 0; s < 50; s += 10)
    for (const auto& c : inv.circuits) e.observe(ping(c.customer_target, at(s), true));
  ASSERT_EQ(e.circuit(inv.circuits[0].key)->state, CircuitState::Up);
  Inventory next = inv;
  next.circuits[1].customer_target = "127.20.9.9";  // changed definition
  next.circuits.pop_back();                         // removed
  e.setInventory(next);
  EXPECT_EQ(e.circuit(inv.circuits[0].key)->state, CircuitState::Up);
  EXPECT_EQ(e.circuit(inv.circuits[1].key)->state, CircuitState::Unknown);
  EXPECT_FALSE(e.circuit(inv.circuits[2].key).has_value());
}

TEST(ReloadTest, RemovingAnIncidentsOnlyChildResolvesIt) {
  Inventory inv = fleet(3);
  Engine e(inv, defaultRules());
  for (int s = 0; s < 50; s += 10)
    for (const auto& c : inv.circuits) e.observe(ping(c.customer_target, at(s), true));
  for (int s = 50; s < 200; s += 10) {
    e.observe(ping(inv.circuits[0].customer_target, at(s), false));
    e.observe(ping(inv.circuits[1].customer_target, at(s), true));
  }
  e.tick(at(200));
  ASSERT_EQ(e.openIncidents().size(), 1u);
  e.drain();
  Inventory next = inv;
  next.circuits.erase(next.circuits.begin());
  e.setInventory(next);
  EXPECT_TRUE(e.openIncidents().empty());
  auto ev = e.drain();
  ASSERT_EQ(ofKind(ev, EngineEventKind::IncidentResolved).size(), 1u);
  EXPECT_EQ(ofKind(ev, EngineEventKind::IncidentResolved)[0].removed,
            std::vector<std::string>{inv.circuits[0].key});
}

}  // namespace
}  // namespace circuitd::engine
