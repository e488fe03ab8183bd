#pragma once
// What `circuitctl replay` hands to the store writer (`--db FILE`): the scenario's inventory and
// every event the engine emitted, in time order.
#include <string>
#include <vector>

#include "domain/core/decision.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/time.hpp"

namespace circuitctl {

/// The result of replaying one scenario through the engine.
struct ReplayOutput {
  std::string scenario;                       ///< scenario name (file stem or its `name` key)
  circuitd::Inventory inventory;              ///< the scenario's inventory
  std::vector<circuitd::EngineEvent> events;  ///< everything the engine emitted, in time order
  circuitd::TimePoint start;                  ///< first instant of the timeline
  circuitd::TimePoint end;                    ///< last instant of the timeline
};

}  // namespace circuitctl
