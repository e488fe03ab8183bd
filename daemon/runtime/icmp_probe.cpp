#include "daemon/runtime/icmp_probe.hpp"

#include <algorithm>
#include <chrono>

#include "probes/icmp/icmp_prober.hpp"

namespace circuitd::runtime {

IcmpTargets wantedIcmpTargets(const Inventory& inventory, const std::string& monitor_target) {
  IcmpTargets out;
  for (const auto& c : inventory.circuits) {
    for (const std::string* t : {&c.carrier_target, &c.customer_target}) {
      if (t->empty()) continue;
      auto [it, added] = out.emplace(*t, c.probe_interval);
      if (!added) it->second = std::min(it->second, c.probe_interval);
    }
  }
  if (!monitor_target.empty()) out.emplace(monitor_target, std::chrono::seconds{1});
  return out;
}

IcmpTargetChanges diffIcmpTargets(const IcmpTargets& running, const IcmpTargets& wanted) {
  // A changed interval is a remove and an add: the prober takes a target's options only when
  // it is added.
  IcmpTargetChanges c;
  for (const auto& [target, interval] : running) {
    auto w = wanted.find(target);
    if (w == wanted.end() || w->second != interval) c.remove.push_back(target);
  }
  for (const auto& [target, interval] : wanted) {
    auto r = running.find(target);
    if (r == running.end() || r->second != interval) c.add.emplace_back(target, interval);
  }
  return c;
}

namespace {

class IcmpProbe final : public Probe {
 public:
  explicit IcmpProbe(const ProbeContext& ctx) : ctx_(ctx) {}

  std::string_view kind() const override { return "icmp"; }

  void start() override {
    icmp::ProberOptions options;
    options.send_quantum = ctx_.cfg.daemon.icmp_send_quantum;  // 0 = automatic
    prober_ = std::make_unique<icmp::IcmpProber>(
        ctx_.io, ctx_.clock, [this](const ReachSample& s) { onReach(s); }, options);
    monitor_target_ = ctx_.cfg.daemon.monitor_target;
  }

  void apply(const Inventory& inventory) override {
    const auto wanted = wantedIcmpTargets(inventory, monitor_target_);
    const auto changes = diffIcmpTargets(running_, wanted);
    for (const auto& target : changes.remove) {
      prober_->removeTarget(target);
      running_.erase(target);
    }
    // The sockets open once something is to be probed; until they can, the monitor reports
    // that its probes cannot send, and every apply() tries again.
    if (!wanted.empty() && !open_) {
      if (auto r = prober_->start(); !r) {
        ctx_.log->error("ICMP prober: {}", r.error().str());
        MonitorHealth h;
        h.time = ctx_.clock.now();
        h.probes_can_send = false;
        h.detail = r.error().str();
        ctx_.observe(h);
      } else {
        open_ = true;
      }
    }
    if (!open_) return;
    for (const auto& [target, interval] : changes.add) {
      icmp::TargetOptions to;
      const auto real = std::chrono::duration_cast<Duration>(ctx_.clock.realFor(interval));
      to.interval = std::max(real, Duration{1});
      to.timeout = std::min(to.interval, Duration{std::chrono::seconds{1}});
      if (auto r = prober_->addTarget(target, to); !r) {
        ctx_.log->warn("ICMP target {}: {}", target, r.error().str());
        continue;  // not running: the next apply() tries it again
      }
      running_.emplace(target, interval);
    }
  }

  void stop() override {
    if (prober_) prober_->stop();
  }

  void stats(RuntimeStats& s) const override {
    if (prober_) s.icmp_sent = prober_->stats().sent;
  }

 private:
  // The monitor's own uplink target also tells the engine whether the monitor can see at all.
  void onReach(const ReachSample& s) {
    if (!monitor_target_.empty() && s.target == monitor_target_) {
      MonitorHealth h;
      h.time = s.time;
      h.uplink_up = s.replied;
      h.probes_can_send = s.error.rfind("send failed", 0) != 0;
      h.detail = s.replied ? "" : s.target + ": " + s.error;
      ctx_.observe(h);
    }
    ctx_.observe(s);
  }

  ProbeContext ctx_;
  std::unique_ptr<icmp::IcmpProber> prober_;
  IcmpTargets running_;  // as added to the prober
  bool open_ = false;    // the prober's sockets are open
  std::string monitor_target_;
};

}  // namespace

std::unique_ptr<Probe> makeIcmpProbe(const ProbeContext& ctx) {
  return std::make_unique<IcmpProbe>(ctx);
}

}  // namespace circuitd::runtime
