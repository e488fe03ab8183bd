// The event builders give what the engine would emit.
#include "tests/support/engine_events.hpp"

#include <gtest/gtest.h>

namespace circuitd::testing {
namespace {

TEST(SupportEngineEvents, OutageRestsOnTheCarriersLineAndRecoveryOnNothing) {
  const auto d = down("L1", at("2024-07-01T00:00:00Z"));
  EXPECT_EQ(d.kind, EngineEventKind::CircuitStateChanged);
  EXPECT_EQ(d.decision.state, CircuitState::Down);
  EXPECT_EQ(d.decision.location, FaultLocation::CarrierLine);
  EXPECT_EQ(d.decision.party, Party::Carrier);
  EXPECT_EQ(d.decision.clause, "3.2.6");
  const auto u = up("L1", at(60));
  EXPECT_EQ(u.time, t0() + std::chrono::minutes(1));
  EXPECT_EQ(u.decision.location, FaultLocation::Unknown);
  EXPECT_EQ(u.decision.party, Party::None);
  EXPECT_EQ(u.decision.clause, "");
}

TEST(SupportEngineEvents, StormAlternatesDownAndUpPerRound) {
  EXPECT_EQ(stormEvent(0, 3).circuit, "C0");
  EXPECT_EQ(stormEvent(4, 3).circuit, "C1");
  EXPECT_EQ(stormEvent(2, 3).decision.state, CircuitState::Down);
  EXPECT_EQ(stormEvent(3, 3).decision.state, CircuitState::Up);
  EXPECT_EQ(stormEvent(3, 3).time - stormEvent(2, 3).time, std::chrono::seconds(1));
}

TEST(SupportEngineEvents, FleetHasOneCircuitPerDeviceOnSharedAggregations) {
  const auto inv = fleet(10, 3);
  ASSERT_EQ(inv.circuits.size(), 10u);
  EXPECT_EQ(inv.circuits[0].key, "STN09913418236");
  EXPECT_EQ(inv.circuits[9].key, "XJWLM2405957CGN00#10");
  EXPECT_EQ(inv.devices[4].aggregation, "agg-1");
  EXPECT_EQ(inv.circuits[2].carrier_target, "127.10.0.3");
}

}  // namespace
}  // namespace circuitd::testing
