#include "domain/core/decision.hpp"

#include <gtest/gtest.h>

using namespace circuitd;

TEST(DecisionNamesTest, EveryEnumRoundTripsThroughItsName) {
  for (auto s : {CircuitState::Up, CircuitState::Degraded, CircuitState::Down,
                 CircuitState::Unknown, CircuitState::Maintenance})
    EXPECT_EQ(parseCircuitState(toString(s)), s);
  for (int i = 0; i <= static_cast<int>(FaultLocation::Unknown); ++i) {
    auto l = static_cast<FaultLocation>(i);
    EXPECT_NE(toString(l), "invalid");
    EXPECT_EQ(parseFaultLocation(toString(l)), l);
  }
  for (auto p : {Party::Carrier, Party::Customer, Party::None, Party::Undetermined})
    EXPECT_EQ(parseParty(toString(p)), p);
  EXPECT_EQ(toString(FaultLocation::CustomerPower), "customer_power");
  EXPECT_FALSE(parseParty("nobody"));
}
