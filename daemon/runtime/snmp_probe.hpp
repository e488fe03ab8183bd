#pragma once
// The SNMP probe: the poll scheduler and the SnmpPoller. The scheduler places each device's
// rounds (spread, jittered, separated; daemon/runtime/scheduler.hpp) and one loop timer wakes
// for the earliest; the poller runs the round.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/runtime/interface_names.hpp"
#include "daemon/runtime/probe.hpp"
#include "daemon/runtime/vendor_profiles.hpp"
#include "domain/core/inventory.hpp"
#include "probes/snmp/poller.hpp"

namespace circuitd::runtime {

/// Builds the SNMP probe; `profiles` is shared with the trap receiver, and `if_names` (may be
/// null) is kept up to date with the interfaces the poller resolved, for the trap receiver.
std::unique_ptr<Probe> makeSnmpProbe(const ProbeContext& ctx,
                                     std::shared_ptr<VendorProfiles> profiles,
                                     std::shared_ptr<InterfaceNames> if_names);

/// What the poller polls on a device: every UNI and uplink interface of its circuits.
snmp::PollTarget pollTarget(const Device& d, const Inventory& inventory,
                            std::shared_ptr<const snmp::VendorProfile> profile);

/// What apply() changes in the poller and the scheduler.
struct SnmpDeviceChanges {
  /// Devices (re)added, in inventory order: new, changed, with a different interface list, or
  /// not scheduled (a previous add failed). The others keep their place in the schedule.
  std::vector<std::string> add;
  /// Scheduled devices the inventory no longer has, sorted.
  std::vector<std::string> remove;
};

/// Compares the inventory last applied with the new one, given the devices now scheduled.
SnmpDeviceChanges diffSnmpDevices(const Inventory& before, const Inventory& after,
                                  const std::set<std::string>& scheduled);

}  // namespace circuitd::runtime
