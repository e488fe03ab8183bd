#pragma once
// The trap probe: the SNMP trap/inform receiver on [daemon] trap_listen. Its one target is the
// listen address, fixed for the daemon's life; the inventory tells it which device sent a trap.
#include <memory>

#include "daemon/runtime/probe.hpp"
#include "daemon/runtime/vendor_profiles.hpp"

namespace circuitd::runtime {

/// Builds the trap probe; `profiles` is shared with the SNMP poller.
std::unique_ptr<Probe> makeTrapProbe(const ProbeContext& ctx,
                                     std::shared_ptr<VendorProfiles> profiles);

}  // namespace circuitd::runtime
