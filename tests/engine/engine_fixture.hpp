#pragma once
// Builds small inventories of seed-contract circuits and feeds an Engine with timed samples.
#include <string>
#include <vector>

#include "domain/engine/engine.hpp"

namespace circuitd::engine::testing {

inline TimePoint t0() { return *parseIso("2024-07-01T08:00:00+08:00"); }
inline TimePoint at(int seconds) { return t0() + std::chrono::seconds{seconds}; }

/// Device "dev-<i>" on aggregation "agg-<i % aggs>", one circuit each, keyed by a contract link id.
inline Inventory fleet(int devices, int aggs = 2) {
  static const char* kLinks[] = {"STN09913418236", "IPRANXJ1002180395", "STN09914494374", "STN09914494441",
                                 "099181858382",   "STN09914494435",    "STN09914494369", "0991910379757"};
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

inline ReachSample ping(const std::string& target, TimePoint t, bool replied, double rtt_ms = 2.0) {
  ReachSample s;
  s.target = target;
  s.time = t;
  s.replied = replied;
  if (replied) s.rtt_ms = rtt_ms;
  return s;
}

inline std::vector<EngineEvent> ofKind(const std::vector<EngineEvent>& ev, EngineEventKind k) {
  std::vector<EngineEvent> out;
  for (const auto& e : ev)
    if (e.kind == k) out.push_back(e);
  return out;
}

}  // namespace circuitd::engine::testing
