#pragma once
// What the engine decides, consumed by the fault lifecycle, the store, notifications and SLA.
// Every decision keeps the evidence it rests on and the rule that fired.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/time.hpp"

namespace circuitd {

/// Per-circuit state.
enum class CircuitState { Up, Degraded, Down, Unknown, Maintenance };

/// Where the fault is, relative to the maintenance boundary of clause 3.2.6.
enum class FaultLocation {
  CarrierNetwork,      ///< carrier network beyond the edge device
  CarrierLine,         ///< carrier line or uplink (line side of the edge device)
  CarrierEdgeDevice,   ///< the carrier's edge device itself
  CustomerPower,       ///< customer's UPS power for the carrier device (3.1.7(6))
  CustomerEquipment,   ///< customer equipment on the UNI (device side)
  CustomerLan,         ///< customer LAN beyond the customer router
  PlannedMaintenance,  ///< carrier cutover announced with notice (7.6)
  ForceMajeure,        ///< clause 11.1 event
  MonitorBlind,        ///< the monitor itself cannot see
  Unknown
};

/// Who is responsible.
enum class Party { Carrier, Customer, None, Undetermined };

/// One piece of evidence at a decision, e.g. {"uplink_oper", "down", t}.
struct Evidence {
  std::string name;   ///< stable machine name (see docs/engine.md)
  std::string value;  ///< rendered value
  TimePoint time;     ///< when it was observed
};

/// The engine's verdict for a circuit or incident at one instant.
struct Decision {
  CircuitState state = CircuitState::Unknown;
  FaultLocation location = FaultLocation::Unknown;
  Party party = Party::Undetermined;
  std::string clause;     ///< contract clause it rests on, e.g. "3.2.6"; empty if none
  std::string rule_id;    ///< demarcation rule that fired, e.g. "R9"
  std::string summary;    ///< one English line: what is wrong
  std::string next_step;  ///< for undetermined: the evidence that would settle it
  std::vector<Evidence> evidence;
};

/// Kinds of engine output.
enum class EngineEventKind {
  CircuitStateChanged,  ///< a circuit's state changed (after hysteresis)
  IncidentOpened,       ///< a new incident (root cause + children) was opened
  IncidentUpdated,      ///< children joined or the decision changed
  IncidentSplit,        ///< some children recovered or proved unrelated
  IncidentResolved,     ///< every child recovered
  MonitorBlind,         ///< the monitor cannot see (one alarm, not one per circuit)
  MonitorRecovered
};

/// One output event of the engine. Events are emitted in time order.
struct EngineEvent {
  EngineEventKind kind = EngineEventKind::CircuitStateChanged;
  TimePoint time;
  std::string circuit;                ///< circuit key for CircuitStateChanged
  std::optional<CircuitState> from;   ///< previous state, CircuitStateChanged only
  std::string incident;               ///< incident id, for incident events
  std::string root_cause;             ///< e.g. "device:atn-01", "aggregation:agg-3", "circuit:X"
  std::vector<std::string> circuits;  ///< incident children (circuit keys) after the event
  bool flapping = false;              ///< the circuit/incident is flapping (damped)
  Decision decision;
  /// CircuitStateChanged only: covered by an incident (or monitor blind), raises no alarm itself.
  bool suppressed = false;
  /// IncidentSplit only: children that left the incident with this event (recovered).
  std::vector<std::string> removed;
  /// IncidentOpened by a split only: the incident this one was split from.
  std::string split_from;
};

/// Stable lower-case names used in JSON, the store and scenario files.
std::string_view toString(CircuitState s);
std::string_view toString(FaultLocation l);
std::string_view toString(Party p);
std::string_view toString(EngineEventKind k);
/// Inverses of toString; nullopt for an unknown name.
std::optional<CircuitState> parseCircuitState(std::string_view s);
std::optional<FaultLocation> parseFaultLocation(std::string_view s);
std::optional<Party> parseParty(std::string_view s);
std::optional<EngineEventKind> parseEngineEventKind(std::string_view s);

}  // namespace circuitd
