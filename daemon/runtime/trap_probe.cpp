#include "daemon/runtime/trap_probe.hpp"

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "config/values.hpp"
#include "probes/snmp/trap_receiver.hpp"

namespace circuitd::runtime {

namespace {

// One debug line per trap: which interface it was matched to is what decides whether it can
// move a circuit.
std::string describe(const TrapEvent& e) {
  std::string s = "trap " + (e.trap_name.empty() ? e.trap_oid : e.trap_name) + " from " + e.device +
                  " (" + e.source + ")";
  if (e.if_index) {
    s += ": ifIndex " + std::to_string(*e.if_index);
    s += e.if_name.empty() ? ", not a polled interface" : " = " + e.if_name;
  }
  return s;
}

class TrapProbe final : public Probe {
 public:
  TrapProbe(const ProbeContext& ctx, std::shared_ptr<VendorProfiles> profiles,
            std::shared_ptr<InterfaceNames> if_names)
      : ctx_(ctx), profiles_(std::move(profiles)), if_names_(std::move(if_names)) {}

  std::string_view kind() const override { return "trap"; }

  void start() override {
    const std::string& listen = ctx_.cfg.daemon.trap_listen;
    auto hp = config::parseHostPort(listen, true);
    if (!hp) {
      ctx_.log->error("trap_listen '{}': {}", listen, hp.error().what);
      return;
    }
    snmp::TrapReceiverConfig tc;
    tc.address = hp->host;
    tc.port = hp->port;
    tc.communities = ctx_.cfg.daemon.trap_communities;
    // Vendor traps are named by the profiles of the devices configured at start.
    for (const auto& d : ctx_.cfg.inventory.devices)
      if (auto p = profiles_->get(d.profile)) tc.profiles.push_back(p);
    receiver_ = std::make_unique<snmp::TrapReceiver>(
        ctx_.io, ctx_.clock, tc,
        [this](Observation o) {
          const auto* e = std::get_if<TrapEvent>(&o);
          if (e && ctx_.log->should_log(spdlog::level::debug)) ctx_.log->debug("{}", describe(*e));
          ctx_.observe(o);
        },
        [this](const std::string& ip) -> std::optional<std::string> {
          if (auto it = devices_.find(ip); it != devices_.end()) return it->second;
          return std::nullopt;
        },
        // The engine matches link traps by interface name; the trap has only the ifIndex.
        [this](const std::string& device, std::int32_t if_index) -> std::optional<std::string> {
          if (!if_names_) return std::nullopt;
          return if_names_->find(device, if_index);
        });
    if (auto r = receiver_->start(); !r) {
      ctx_.log->error("trap receiver on {}: {}; traps will not be received", listen,
                      r.error().str());
      receiver_.reset();
    } else {
      ctx_.log->info("trap receiver listening on {}:{}", tc.address, receiver_->port());
    }
  }

  void apply(const Inventory& inventory) override {
    // Source address -> device; with two devices on one address the first configured wins.
    devices_.clear();
    for (const auto& d : inventory.devices) devices_.emplace(d.address, d.name);
  }

  void stop() override {
    if (receiver_) receiver_->stop();
  }

 private:
  ProbeContext ctx_;
  std::shared_ptr<VendorProfiles> profiles_;
  std::shared_ptr<InterfaceNames> if_names_;  // (device, ifIndex) -> name, from the poller
  std::unique_ptr<snmp::TrapReceiver> receiver_;
  std::map<std::string, std::string> devices_;  // source address -> device name
};

}  // namespace

std::unique_ptr<Probe> makeTrapProbe(const ProbeContext& ctx,
                                     std::shared_ptr<VendorProfiles> profiles,
                                     std::shared_ptr<InterfaceNames> if_names) {
  return std::make_unique<TrapProbe>(ctx, std::move(profiles), std::move(if_names));
}

}  // namespace circuitd::runtime
