#pragma once
// The ICMP probe: one IcmpProber for every circuit's carrier and customer targets and the
// monitor's own uplink check. The prober spreads its sends itself; the probe keeps its target
// set in line with the inventory.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/runtime/probe.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/time.hpp"

namespace circuitd::runtime {

/// Builds the ICMP probe (the prober's sockets open at the first apply() with a target).
std::unique_ptr<Probe> makeIcmpProbe(const ProbeContext& ctx);

/// ICMP target -> probe interval, in loop time.
using IcmpTargets = std::map<std::string, Duration>;

/// The targets the inventory asks for, each with the shortest probe interval among its
/// circuits, plus `monitor_target` (if any) every second unless a circuit already probes it.
IcmpTargets wantedIcmpTargets(const Inventory& inventory, const std::string& monitor_target);

/// What apply() changes in the prober.
struct IcmpTargetChanges {
  std::vector<std::string> remove;                    ///< gone, or their interval changed
  std::vector<std::pair<std::string, Duration>> add;  ///< new, or their interval changed
};

/// Compares the targets the prober runs with the wanted ones; both lists are sorted.
IcmpTargetChanges diffIcmpTargets(const IcmpTargets& running, const IcmpTargets& wanted);

}  // namespace circuitd::runtime
