#include "daemon/runtime/snmp_probe.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <random>

#include "daemon/runtime/scheduler.hpp"

namespace circuitd::runtime {

snmp::PollTarget pollTarget(const Device& d, const Inventory& inventory,
                            std::shared_ptr<const snmp::VendorProfile> profile) {
  snmp::PollTarget t;
  t.device = d.name;
  t.address = d.address;
  t.port = d.snmp_port;
  t.credentials = d.snmp;
  t.name_source = d.if_name_source;
  std::set<std::string> names;
  for (const auto& c : inventory.circuits) {
    if (c.device != d.name) continue;
    if (!c.uni_interface.empty()) {
      names.insert(c.uni_interface);
      if (c.bandwidth_mbps) t.contracted_mbps[c.uni_interface] = *c.bandwidth_mbps;
    }
    for (const auto& u : c.uplink_interfaces) names.insert(u);
  }
  t.interfaces.assign(names.begin(), names.end());
  t.profile = std::move(profile);
  t.interval = d.poll_interval;
  t.timeout = d.timeout;
  t.retries = d.retries;
  return t;
}

SnmpDeviceChanges diffSnmpDevices(const Inventory& before, const Inventory& after,
                                  const std::set<std::string>& scheduled) {
  SnmpDeviceChanges c;
  std::set<std::string> kept;
  for (const auto& d : after.devices) {
    kept.insert(d.name);
    const Device* old = before.findDevice(d.name);
    // A device keeps its place only when neither it nor the interfaces its circuits use
    // changed; the profile does not change the interface list, so none is needed here.
    const bool same =
        old && *old == d &&
        pollTarget(*old, before, nullptr).interfaces == pollTarget(d, after, nullptr).interfaces &&
        scheduled.count(d.name) > 0;
    if (!same) c.add.push_back(d.name);
  }
  for (const auto& name : scheduled)
    if (!kept.count(name)) c.remove.push_back(name);
  return c;
}

namespace {

// Scheduler keys carry the kind, as the schedule always did.
constexpr std::string_view kKeyPrefix = "snmp:";

class SnmpProbe final : public Probe {
 public:
  SnmpProbe(const ProbeContext& ctx, std::shared_ptr<VendorProfiles> profiles,
            std::shared_ptr<InterfaceNames> if_names)
      : ctx_(ctx),
        profiles_(std::move(profiles)),
        if_names_(std::move(if_names)),
        scheduler_(SchedulerSettings{
            Duration{2}, 0.1, ctx.options.seed ? *ctx.options.seed : std::random_device{}()}),
        timer_(ctx.io) {}

  std::string_view kind() const override { return "snmp"; }

  void start() override {
    snmp::PollerLimits limits;
    limits.max_in_flight_total =
        static_cast<std::size_t>(std::max(1, ctx_.cfg.daemon.max_in_flight));
    limits.max_in_flight_per_device =
        static_cast<std::size_t>(std::max(1, ctx_.cfg.daemon.max_in_flight_per_device));
    limits.spread_start = false;  // rounds are placed by the scheduler (pollNow)
    poller_ = std::make_unique<snmp::SnmpPoller>(
        ctx_.io, ctx_.clock, [this](Observation o) { ctx_.observe(o); }, limits);
    if (if_names_)
      poller_->setResolutionObserver(
          [this](const std::string& device, const std::map<std::int32_t, std::string>& names) {
            // Rare (start, reboot, index move), and what a trap's ifIndex is read against.
            std::string list;
            for (const auto& [idx, name] : names)
              list += (list.empty() ? "" : ", ") + name + "=" + std::to_string(idx);
            ctx_.log->debug("SNMP device {}: interfaces resolved: {}", device,
                            list.empty() ? "none" : list);
            if_names_->set(device, names);
          });
  }

  void apply(const Inventory& inventory) override {
    const TimePoint now = ctx_.clock.now();
    const auto changes = diffSnmpDevices(applied_, inventory, scheduledDevices());
    // A device whose definition or circuits changed is re-added (new interface list).
    for (const auto& name : changes.add) {
      const Device* d = inventory.findDevice(name);
      const std::string key = std::string(kKeyPrefix) + name;
      poller_->removeDevice(name);
      if (if_names_) if_names_->remove(name);  // until the re-added device is resolved
      if (auto r = poller_->addDevice(pollTarget(*d, inventory, profiles_->get(d->profile))); !r) {
        ctx_.log->warn("SNMP device {}: {}", name, r.error().str());
        scheduler_.remove(key);
        continue;
      }
      scheduler_.add(key, d->poll_interval, now);
    }
    for (const auto& name : changes.remove) {
      poller_->removeDevice(name);
      if (if_names_) if_names_->remove(name);
      scheduler_.remove(std::string(kKeyPrefix) + name);
    }
    applied_ = inventory;
    timer_.cancel();  // the earliest round may have moved
    arm();
  }

  void stop() override {
    stopping_ = true;
    timer_.cancel();
    if (poller_) poller_->stop();
  }

  void stats(RuntimeStats& s) const override {
    if (poller_) s.snmp_rounds = poller_->stats().rounds;
  }

 private:
  std::set<std::string> scheduledDevices() const {
    std::set<std::string> out;
    for (const auto& [key, interval] : scheduler_.targets())
      if (key.rfind(kKeyPrefix, 0) == 0) out.insert(key.substr(kKeyPrefix.size()));
    return out;
  }

  void arm() {
    if (stopping_) return;
    auto due = scheduler_.nextDue();
    if (!due) return;  // re-armed when a reload adds devices
    // Rounds due within one slot of the grid leave together: one wake-up, and the poller sends
    // their datagrams in one batch.
    if (const auto grid = ctx_.cfg.daemon.snmp_start_grid; grid.count() > 0) {
      using D = TimePoint::duration;
      const D since = due->time_since_epoch();
      const D g = std::chrono::duration_cast<D>(grid);
      due = TimePoint{((since + g - D{1}) / g) * g};
    }
    const auto wait = *due - ctx_.clock.now();
    timer_.expires_after(wait > Duration::zero() ? ctx_.clock.realFor(wait)
                                                 : std::chrono::steady_clock::duration::zero());
    timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e) onDue();
    });
  }

  void onDue() {
    for (const auto& key : scheduler_.popDue(ctx_.clock.now()))
      if (key.rfind(kKeyPrefix, 0) == 0) poller_->pollNow(key.substr(kKeyPrefix.size()), nullptr);
    arm();
  }

  ProbeContext ctx_;
  std::shared_ptr<VendorProfiles> profiles_;
  std::shared_ptr<InterfaceNames> if_names_;  // filled from the poller's resolutions
  Scheduler scheduler_;
  boost::asio::steady_timer timer_;  // wakes for the earliest due round
  std::unique_ptr<snmp::SnmpPoller> poller_;
  Inventory applied_;  // the inventory of the last apply()
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<Probe> makeSnmpProbe(const ProbeContext& ctx,
                                     std::shared_ptr<VendorProfiles> profiles,
                                     std::shared_ptr<InterfaceNames> if_names) {
  return std::make_unique<SnmpProbe>(ctx, std::move(profiles), std::move(if_names));
}

}  // namespace circuitd::runtime
