#include "domain/faults/lifecycle.hpp"

#include <gtest/gtest.h>

#include "tests/support/engine_events.hpp"

using namespace circuitd;
using namespace circuitd::faults;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

using circuitd::testing::at;
using circuitd::testing::stateChange;

LifecycleSettings settings() {
  LifecycleSettings s;
  s.hold_off = minutes(2);
  s.reopen_window = minutes(60);
  return s;
}

}  // namespace

TEST(FaultLifecycleTest, OpensFaultWhenCircuitGoesDown) {
  FaultLifecycle lc(settings());
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  ASSERT_EQ(c.faults.size(), 1u);
  EXPECT_EQ(c.faults[0].id, "F-000001");
  EXPECT_EQ(c.faults[0].state, FaultState::Open);
  EXPECT_EQ(c.faults[0].cause, "carrier_line");
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].actor, "engine");
  EXPECT_FALSE(c.transitions[0].from.has_value());
  EXPECT_EQ(c.transitions[0].key(), "F-000001/1");
  ASSERT_EQ(c.intervals.size(), 1u);
  EXPECT_FALSE(c.intervals[0].end.has_value());
  EXPECT_EQ(c.intervals[0].party, Party::Carrier);
}

TEST(FaultLifecycleTest, ResolvesOnlyAfterHoldOff) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  auto up = lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:10:00Z")));
  EXPECT_TRUE(up.transitions.empty());
  ASSERT_EQ(up.intervals.size(), 1u);
  EXPECT_EQ(*up.intervals[0].end, at("2024-07-01T00:10:00Z"));
  EXPECT_TRUE(lc.tick(at("2024-07-01T00:11:59.999Z")).transitions.empty());
  auto r = lc.tick(at("2024-07-01T00:12:30Z"));
  ASSERT_EQ(r.transitions.size(), 1u);
  EXPECT_EQ(r.transitions[0].to, FaultState::Resolved);
  EXPECT_EQ(r.transitions[0].time, at("2024-07-01T00:12:00Z"));
  EXPECT_EQ(*r.transitions[0].from, FaultState::Open);
  const Fault* f = lc.find("F-000001");
  EXPECT_EQ(f->down_ms, 10 * 60 * 1000);
  EXPECT_EQ(lc.activeFor("L1"), nullptr);
}

TEST(FaultLifecycleTest, FlapWithinHoldOffKeepsTheSameFaultOpen) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:05:00Z")));
  auto again = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:06:00Z")));
  EXPECT_TRUE(again.transitions.empty());
  EXPECT_EQ(lc.faults().size(), 1u);
  EXPECT_EQ(lc.activeFor("L1")->id, "F-000001");
  // Two stretches of outage, the minute up in between is not counted.
  ASSERT_EQ(again.intervals.size(), 1u);
  EXPECT_EQ(again.intervals[0].start, at("2024-07-01T00:06:00Z"));
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:08:00Z")));
  lc.tick(at("2024-07-01T01:00:00Z"));
  EXPECT_EQ(lc.find("F-000001")->down_ms, 7 * 60 * 1000);
}

TEST(FaultLifecycleTest, ReopensWhenItRecursWithinTheWindow) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:10:00Z")));
  lc.tick(at("2024-07-01T00:20:00Z"));
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T01:05:00Z")));
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].fault_id, "F-000001");
  EXPECT_EQ(*c.transitions[0].from, FaultState::Resolved);
  EXPECT_EQ(c.transitions[0].to, FaultState::Open);
  EXPECT_EQ(c.transitions[0].seq, 3);
  EXPECT_EQ(lc.find("F-000001")->occurrences, 2);
}

TEST(FaultLifecycleTest, AnUnknownCauseNeverReopensAFault) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z"), FaultLocation::Unknown,
                       Party::Undetermined));
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:10:00Z")));
  lc.tick(at("2024-07-01T00:20:00Z"));
  // Inside the reopen window, at the same (unknown) location: still a fault of its own.
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:30:00Z"),
                                FaultLocation::Unknown, Party::Undetermined));
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].fault_id, "F-000002");
  EXPECT_FALSE(c.transitions[0].from.has_value());
  EXPECT_EQ(lc.find("F-000001")->state, FaultState::Resolved);
  EXPECT_EQ(lc.find("F-000001")->occurrences, 1);
  EXPECT_EQ(lc.find("F-000002")->occurrences, 1);
}

TEST(FaultLifecycleTest, AKnownCauseAfterAnUnknownOneIsANewFault) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z"), FaultLocation::Unknown,
                       Party::Undetermined));
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:10:00Z")));
  lc.tick(at("2024-07-01T00:20:00Z"));
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:30:00Z")));
  EXPECT_EQ(c.transitions.back().fault_id, "F-000002");
  EXPECT_EQ(lc.find("F-000002")->cause, "carrier_line");
}

TEST(FaultLifecycleTest, OpensANewFaultWhenItRecursAfterTheWindow) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:10:00Z")));
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T01:10:01Z")));
  // The tick inside apply resolves F-000001 first, then F-000002 opens.
  ASSERT_EQ(c.transitions.size(), 2u);
  EXPECT_EQ(c.transitions[0].to, FaultState::Resolved);
  EXPECT_EQ(c.transitions[1].fault_id, "F-000002");
}

TEST(FaultLifecycleTest, NewCauseOnRecurrenceIsANewFault) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:10:00Z")));
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:30:00Z"),
                                FaultLocation::CustomerPower, Party::Customer));
  EXPECT_EQ(c.transitions.back().fault_id, "F-000002");
  EXPECT_EQ(lc.find("F-000002")->cause, "customer_power");
}

TEST(FaultLifecycleTest, OneActiveFaultPerCircuitRefinedByLaterDecisions) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z"), FaultLocation::Unknown,
                       Party::Undetermined));
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:03:00Z")));
  EXPECT_TRUE(c.transitions.empty());
  ASSERT_EQ(lc.faults().size(), 1u);
  EXPECT_EQ(lc.faults()[0].decision.party, Party::Carrier);
  EXPECT_EQ(lc.faults()[0].cause, "unknown");  // fixed at opening: a stable alert identity
  // The verdict applies to the whole outage stretch.
  ASSERT_EQ(c.intervals.size(), 1u);
  EXPECT_EQ(c.intervals[0].start, at("2024-07-01T00:00:00Z"));
  EXPECT_EQ(c.intervals[0].party, Party::Carrier);
  lc.apply(stateChange("L2", CircuitState::Down, at("2024-07-01T00:04:00Z")));
  EXPECT_EQ(lc.faults().size(), 2u);
}

TEST(FaultLifecycleTest, PeopleMoveTheFaultAndEveryStepRecordsActorAndTime) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  auto a = lc.acknowledge("F-000001", "wang", at("2024-07-01T00:05:00Z"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->transitions[0].actor, "wang");
  EXPECT_EQ(a->acks.size(), 1u);
  EXPECT_FALSE(lc.acknowledge("F-000001", "li", at("2024-07-01T00:06:00Z")));
  EXPECT_FALSE(lc.reportToCarrier("F-000001", "", "wang", at("2024-07-01T00:07:00Z")));
  auto r = lc.reportToCarrier("F-000001", "T20240701-88", "wang", at("2024-07-01T00:08:00Z"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->transitions[0].detail, "ticket T20240701-88");
  EXPECT_EQ(lc.find("F-000001")->ticket, "T20240701-88");
  auto early = lc.close("F-000001", "wang", at("2024-07-01T00:09:00Z"), "done");
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().what.find("after it has resolved"), std::string::npos);
  lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T01:00:00Z")));
  lc.tick(at("2024-07-01T01:02:00Z"));
  auto cl = lc.close("F-000001", "zhao", at("2024-07-01T02:00:00Z"), "carrier replaced optics");
  ASSERT_TRUE(cl);
  EXPECT_EQ(cl->transitions[0].from, FaultState::Resolved);
  EXPECT_EQ(cl->transitions[0].to, FaultState::Closed);
  EXPECT_EQ(lc.find("F-000001")->transitions, 5);
  EXPECT_FALSE(lc.acknowledge("F-999999", "x", at("2024-07-01T02:00:00Z")));
}

TEST(FaultLifecycleTest, AnnouncedMaintenanceOpensNoFaultButCountsAsMaintenance) {
  FaultLifecycle lc(settings());
  auto c = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z"),
                                FaultLocation::PlannedMaintenance, Party::None));
  EXPECT_TRUE(c.transitions.empty());
  ASSERT_EQ(c.intervals.size(), 1u);
  EXPECT_TRUE(c.intervals[0].maintenance);
  // The work overruns: the engine now blames the carrier; the outage splits at that instant.
  auto over = lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T02:00:00Z")));
  ASSERT_EQ(over.transitions.size(), 1u);
  ASSERT_EQ(over.intervals.size(), 2u);
  EXPECT_TRUE(over.intervals[0].maintenance);
  EXPECT_EQ(*over.intervals[0].end, at("2024-07-01T02:00:00Z"));
  EXPECT_FALSE(over.intervals[1].maintenance);
  EXPECT_EQ(over.intervals[1].party, Party::Carrier);
}

TEST(FaultLifecycleTest, IncidentEventsTagTheirChildrenFaults) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  lc.apply(stateChange("L2", CircuitState::Down, at("2024-07-01T00:00:01Z")));
  EngineEvent inc;
  inc.kind = EngineEventKind::IncidentOpened;
  inc.time = at("2024-07-01T00:00:02Z");
  inc.incident = "I-7";
  inc.root_cause = "device:atn-01";
  inc.circuits = {"L1", "L2"};
  auto c = lc.apply(inc);
  ASSERT_EQ(c.incidents.size(), 1u);
  EXPECT_EQ(c.faults.size(), 2u);
  EXPECT_EQ(lc.activeFor("L2")->incident, "I-7");
  EXPECT_EQ(lc.activeFor("L2")->root_cause, "device:atn-01");
}

TEST(FaultLifecycleTest, UnknownStateIsNeitherOutageNorRecovery) {
  FaultLifecycle lc(settings());
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  auto c = lc.apply(stateChange("L1", CircuitState::Unknown, at("2024-07-01T00:01:00Z")));
  EXPECT_TRUE(c.empty());
  EXPECT_NE(lc.activeFor("L1"), nullptr);
}

TEST(FaultLifecycleTest, RestoredLifecycleContinuesIdsAndResolvesRecoveredFaults) {
  FaultLifecycle first(settings());
  first.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  auto up = first.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:01:00Z")));
  FaultLifecycle second(settings());
  second.restore(first.faults(), {}, {}, 0);
  auto r = second.tick(at("2024-07-01T00:03:00Z"));
  ASSERT_EQ(r.transitions.size(), 1u);
  EXPECT_EQ(r.transitions[0].seq, 2);
  second.apply(stateChange("L9", CircuitState::Down, at("2024-07-01T00:04:00Z")));
  EXPECT_NE(second.find("F-000002"), nullptr);
}

TEST(FaultLifecycleTest, ZeroHoldOffResolvesAtTheRecoveryInstant) {
  LifecycleSettings s = settings();
  s.hold_off = Duration{0};
  FaultLifecycle lc(s);
  lc.apply(stateChange("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  auto c = lc.apply(stateChange("L1", CircuitState::Up, at("2024-07-01T00:01:00Z")));
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].time, at("2024-07-01T00:01:00Z"));
}

TEST(FaultIdTest, FormatsAndParses) {
  EXPECT_EQ(faultId(42), "F-000042");
  EXPECT_EQ(parseFaultId("F-000042"), 42);
  EXPECT_FALSE(parseFaultId("F-12x").has_value());
  EXPECT_FALSE(parseFaultId("X-1").has_value());
}
