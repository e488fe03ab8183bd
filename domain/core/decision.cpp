#include "domain/core/decision.hpp"

#include <array>
#include <utility>

namespace circuitd {
namespace {

template <typename E, std::size_t N>
std::string_view nameOf(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
  for (const auto& [e, n] : table)
    if (e == v) return n;
  return "invalid";
}
template <typename E, std::size_t N>
std::optional<E> valueOf(const std::array<std::pair<E, std::string_view>, N>& table,
                         std::string_view s) {
  for (const auto& [e, n] : table)
    if (n == s) return e;
  return std::nullopt;
}

constexpr std::array<std::pair<CircuitState, std::string_view>, 5> kStates{{
    {CircuitState::Up, "up"},
    {CircuitState::Degraded, "degraded"},
    {CircuitState::Down, "down"},
    {CircuitState::Unknown, "unknown"},
    {CircuitState::Maintenance, "maintenance"},
}};
constexpr std::array<std::pair<FaultLocation, std::string_view>, 10> kLocations{{
    {FaultLocation::CarrierNetwork, "carrier_network"},
    {FaultLocation::CarrierLine, "carrier_line"},
    {FaultLocation::CarrierEdgeDevice, "carrier_edge_device"},
    {FaultLocation::CustomerPower, "customer_power"},
    {FaultLocation::CustomerEquipment, "customer_equipment"},
    {FaultLocation::CustomerLan, "customer_lan"},
    {FaultLocation::PlannedMaintenance, "planned_maintenance"},
    {FaultLocation::ForceMajeure, "force_majeure"},
    {FaultLocation::MonitorBlind, "monitor_blind"},
    {FaultLocation::Unknown, "unknown"},
}};
constexpr std::array<std::pair<Party, std::string_view>, 4> kParties{{
    {Party::Carrier, "carrier"},
    {Party::Customer, "customer"},
    {Party::None, "none"},
    {Party::Undetermined, "undetermined"},
}};
constexpr std::array<std::pair<EngineEventKind, std::string_view>, 7> kKinds{{
    {EngineEventKind::CircuitStateChanged, "circuit_state_changed"},
    {EngineEventKind::IncidentOpened, "incident_opened"},
    {EngineEventKind::IncidentUpdated, "incident_updated"},
    {EngineEventKind::IncidentSplit, "incident_split"},
    {EngineEventKind::IncidentResolved, "incident_resolved"},
    {EngineEventKind::MonitorBlind, "monitor_blind"},
    {EngineEventKind::MonitorRecovered, "monitor_recovered"},
}};

}  // namespace

std::string_view toString(CircuitState s) { return nameOf(kStates, s); }
std::string_view toString(FaultLocation l) { return nameOf(kLocations, l); }
std::string_view toString(Party p) { return nameOf(kParties, p); }
std::string_view toString(EngineEventKind k) { return nameOf(kKinds, k); }
std::optional<CircuitState> parseCircuitState(std::string_view s) { return valueOf(kStates, s); }
std::optional<FaultLocation> parseFaultLocation(std::string_view s) {
  return valueOf(kLocations, s);
}
std::optional<Party> parseParty(std::string_view s) { return valueOf(kParties, s); }
std::optional<EngineEventKind> parseEngineEventKind(std::string_view s) {
  return valueOf(kKinds, s);
}

}  // namespace circuitd
