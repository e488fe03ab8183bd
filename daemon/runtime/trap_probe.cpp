#include "daemon/runtime/trap_probe.hpp"

#include <map>
#include <optional>
#include <string>

#include "config/values.hpp"
#include "probes/snmp/trap_receiver.hpp"

namespace circuitd::runtime {

namespace {

class TrapProbe final : public Probe {
 public:
  TrapProbe(const ProbeContext& ctx, std::shared_ptr<VendorProfiles> profiles)
      : ctx_(ctx), profiles_(std::move(profiles)) {}

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
        ctx_.io, ctx_.clock, tc, [this](Observation o) { ctx_.observe(o); },
        [this](const std::string& ip) -> std::optional<std::string> {
          if (auto it = devices_.find(ip); it != devices_.end()) return it->second;
          return std::nullopt;
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
  std::unique_ptr<snmp::TrapReceiver> receiver_;
  std::map<std::string, std::string> devices_;  // source address -> device name
};

}  // namespace

std::unique_ptr<Probe> makeTrapProbe(const ProbeContext& ctx,
                                     std::shared_ptr<VendorProfiles> profiles) {
  return std::make_unique<TrapProbe>(ctx, std::move(profiles));
}

}  // namespace circuitd::runtime
