#include "daemon/runtime/probes.hpp"

#include <string_view>

#include "daemon/runtime/capture_probe.hpp"
#include "daemon/runtime/icmp_probe.hpp"
#include "daemon/runtime/interface_names.hpp"
#include "daemon/runtime/snmp_probe.hpp"
#include "daemon/runtime/trap_probe.hpp"
#include "daemon/runtime/vendor_profiles.hpp"

namespace circuitd::runtime {

namespace {

// What the kinds of one daemon share: the SNMP poller and the trap receiver read the same
// vendor profiles, loaded (and warned about) once per name; the poller's name resolutions
// tell the trap receiver which interface a trap's ifIndex is.
struct Shared {
  std::shared_ptr<VendorProfiles> profiles;
  std::shared_ptr<InterfaceNames> if_names;
};

// One registered kind.
struct Kind {
  std::string_view name;
  bool (*wanted)(const config::Config&);
  std::unique_ptr<Probe> (*make)(const ProbeContext&, Shared&);
};

// The registry, in start order: ICMP and SNMP first so that the trap receiver and the capture
// log their listeners before the first targets are added, as the daemon always did.
constexpr Kind kKinds[] = {
    {"icmp", [](const config::Config&) { return true; },
     [](const ProbeContext& ctx, Shared&) { return makeIcmpProbe(ctx); }},
    {"snmp", [](const config::Config&) { return true; },
     [](const ProbeContext& ctx, Shared& sh) {
       return makeSnmpProbe(ctx, sh.profiles, sh.if_names);
     }},
    {"trap", [](const config::Config& c) { return !c.daemon.trap_listen.empty(); },
     [](const ProbeContext& ctx, Shared& sh) {
       return makeTrapProbe(ctx, sh.profiles, sh.if_names);
     }},
    {"capture", [](const config::Config& c) { return !c.daemon.capture_interface.empty(); },
     [](const ProbeContext& ctx, Shared&) { return makeCaptureProbe(ctx); }},
};

}  // namespace

std::vector<std::string> probeKinds(const config::Config& cfg) {
  std::vector<std::string> out;
  for (const auto& k : kKinds)
    if (k.wanted(cfg)) out.emplace_back(k.name);
  return out;
}

std::vector<std::string> knownProbeKinds() {
  std::vector<std::string> out;
  for (const auto& k : kKinds) out.emplace_back(k.name);
  return out;
}

Result<ProbeList> makeProbes(const std::vector<std::string>& kinds, const ProbeContext& ctx) {
  Shared shared{std::make_shared<VendorProfiles>(ctx.cfg, ctx.log),
                std::make_shared<InterfaceNames>()};
  ProbeList out;
  for (const auto& name : kinds) {
    const Kind* kind = nullptr;
    for (const auto& k : kKinds)
      if (k.name == name) kind = &k;
    if (!kind) {
      std::string known;
      for (const auto& k : kKinds) known += (known.empty() ? "" : ", ") + std::string(k.name);
      return fail("probes", "unknown probe kind '" + name + "' (known: " + known + ")");
    }
    out.push_back(kind->make(ctx, shared));
  }
  return out;
}

}  // namespace circuitd::runtime
