#pragma once
// The probe registry: the one place that knows every probe kind, which configuration turns it
// on, and how it is built. The runtime asks it for the list and drives only Probe.
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/runtime/probe.hpp"
#include "domain/core/result.hpp"

namespace circuitd::runtime {

/// The probes of a daemon, in start order (stopped and closed in reverse).
using ProbeList = std::vector<std::unique_ptr<Probe>>;

/// The kinds the configuration turns on, in start order: "icmp" and "snmp" always, "trap" with
/// [daemon] trap_listen, "capture" with [daemon] capture_interface.
std::vector<std::string> probeKinds(const config::Config& cfg);

/// Every kind the registry can build, in start order.
std::vector<std::string> knownProbeKinds();

/// Builds one probe per kind (nothing is opened until Probe::start()); an unknown kind is an
/// error naming it.
Result<ProbeList> makeProbes(const std::vector<std::string>& kinds, const ProbeContext& ctx);

}  // namespace circuitd::runtime
