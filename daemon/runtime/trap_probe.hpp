#pragma once
// The trap probe: the SNMP trap/inform receiver on [daemon] trap_listen. Its one target is the
// listen address, fixed for the daemon's life; the inventory tells it which device sent a trap.
#include <memory>

#include "daemon/runtime/interface_names.hpp"
#include "daemon/runtime/probe.hpp"
#include "daemon/runtime/vendor_profiles.hpp"

namespace circuitd::runtime {

/// Builds the trap probe; `profiles` and `if_names` are shared with the SNMP probe, whose
/// resolutions name the interface of a trap's ifIndex (without them a linkDown/linkUp trap
/// matches no circuit interface).
std::unique_ptr<Probe> makeTrapProbe(const ProbeContext& ctx,
                                     std::shared_ptr<VendorProfiles> profiles,
                                     std::shared_ptr<InterfaceNames> if_names);

}  // namespace circuitd::runtime
