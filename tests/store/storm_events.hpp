#pragma once
// The deterministic storm of engine events shared by the crash test and its driver: event i
// takes circuit i % circuits down on even rounds and up on odd rounds, one second apart, so
// with no hold-off every event is exactly one fault transition.
#include <string>

#include "domain/core/decision.hpp"

namespace circuitd::storm {

/// Event number i of the storm.
inline EngineEvent event(int i, int circuits) {
  EngineEvent e;
  e.kind = EngineEventKind::CircuitStateChanged;
  e.time = *parseIso("2024-07-01T00:00:00Z") + std::chrono::seconds(i);
  e.circuit = "C" + std::to_string(i % circuits);
  const bool down = (i / circuits) % 2 == 0;
  e.decision.state = down ? CircuitState::Down : CircuitState::Up;
  e.decision.location = down ? FaultLocation::CarrierLine : FaultLocation::Unknown;
  e.decision.party = down ? Party::Carrier : Party::None;
  e.decision.clause = down ? "3.2.6" : "";
  e.decision.summary = down ? "storm: line side down" : "";
  return e;
}

}  // namespace circuitd::storm
