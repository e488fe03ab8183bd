#include "tests/support/engine_events.hpp"

namespace circuitd::testing {

TimePoint at(const char* iso) { return *parseIso(iso); }

TimePoint t0() { return at("2024-07-01T08:00:00+08:00"); }

TimePoint at(int seconds) { return t0() + std::chrono::seconds{seconds}; }

Inventory fleet(int devices, int aggs) {
  static const char* kLinks[] = {"STN09913418236", "IPRANXJ1002180395", "STN09914494374",
                                 "STN09914494441", "099181858382",      "STN09914494435",
                                 "STN09914494369", "0991910379757"};
  Inventory inv;
  for (int i = 0; i < devices; ++i) {
    Device d;
    d.name = "dev-" + std::to_string(i);
    d.site = "site-" + std::to_string(i);
    d.aggregation = "agg-" + std::to_string(i % aggs);
    inv.devices.push_back(d);
    Circuit c;
    c.key = i < 8 ? kLinks[i] : "XJWLM2405957CGN00#" + std::to_string(i + 1);
    c.link_id = i < 8 ? kLinks[i] : "";
    c.contract = "XJWLM2405957CGN00";
    c.device = d.name;
    c.uni_interface = "GE0/2/1";
    c.uplink_interfaces = {"GE0/1/0"};
    c.carrier_target = "127.10.0." + std::to_string(i + 1);
    c.customer_target = "127.20.0." + std::to_string(i + 1);
    c.bandwidth_mbps = 100;
    inv.circuits.push_back(c);
  }
  return inv;
}

ReachSample ping(const std::string& target, TimePoint t, bool replied, double rtt_ms) {
  ReachSample s;
  s.target = target;
  s.time = t;
  s.replied = replied;
  if (replied) s.rtt_ms = rtt_ms;
  return s;
}

std::vector<EngineEvent> ofKind(const std::vector<EngineEvent>& ev, EngineEventKind k) {
  std::vector<EngineEvent> out;
  for (const auto& e : ev)
    if (e.kind == k) out.push_back(e);
  return out;
}

EngineEvent stateChange(const std::string& circuit, CircuitState state, TimePoint t,
                        FaultLocation location, Party party) {
  EngineEvent e;
  e.kind = EngineEventKind::CircuitStateChanged;
  e.time = t;
  e.circuit = circuit;
  e.decision.state = state;
  if (state == CircuitState::Up) {
    e.decision.location = FaultLocation::Unknown;
    e.decision.party = Party::None;
    return e;
  }
  e.decision.location = location;
  e.decision.party = party;
  e.decision.clause = party == Party::Carrier ? "3.2.6" : "";
  e.decision.summary = "line side down";
  return e;
}

EngineEvent down(const std::string& circuit, TimePoint t) {
  return stateChange(circuit, CircuitState::Down, t);
}

EngineEvent up(const std::string& circuit, TimePoint t) {
  return stateChange(circuit, CircuitState::Up, t);
}

EngineEvent stormEvent(int i, int circuits) {
  const bool down_round = (i / circuits) % 2 == 0;
  EngineEvent e = stateChange("C" + std::to_string(i % circuits),
                              down_round ? CircuitState::Down : CircuitState::Up,
                              at("2024-07-01T00:00:00Z") + std::chrono::seconds(i));
  if (down_round) e.decision.summary = "storm: line side down";
  return e;
}

}  // namespace circuitd::testing
