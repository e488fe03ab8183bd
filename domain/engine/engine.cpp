// The decision engine. Time arrives with the observations; tick(now) only evaluates timeouts.
// State is kept compact (indices, bit windows) because a fleet of 100,000 circuits must fit in
// under 2 KB each; decisions with their evidence are built only when a circuit is not up.
#include "domain/engine/engine.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace circuitd::engine {
namespace {

constexpr std::uint32_t kNone = 0xffffffffu;

/// One interface of a device, as far as circuits use it.
struct IfState {
  std::string name;
  IfStatus admin = IfStatus::Unknown;
  IfStatus oper = IfStatus::Unknown;
  bool seen = false;
  float rx_dbm = NAN;
  float util = NAN;  // max of in/out utilisation
  TimePoint time{};
};

struct DeviceRt {
  std::string name;
  std::uint32_t agg = kNone;
  std::uint32_t site = kNone;
  std::int8_t silent = -1;  // -1 never polled, 0 answering, 1 silent
  TimePoint poll_time{};
  TimePoint last_answer{};
  std::optional<TimePoint> silent_since;  // first unanswered poll of the current silence
  std::optional<TimePoint> gasp;
  std::string gasp_kind;
  std::optional<TimePoint> reboot;
  std::optional<std::uint32_t> uptime;
  std::vector<IfState> ifs;
  std::vector<std::uint32_t> circuits;
  std::uint32_t raw_down = 0;  // circuits of this device whose latest sample is failing

  std::uint16_t ifIndex(const std::string& n) {
    for (std::size_t i = 0; i < ifs.size(); ++i)
      if (ifs[i].name == n) return static_cast<std::uint16_t>(i);
    ifs.push_back(IfState{n});
    return static_cast<std::uint16_t>(ifs.size() - 1);
  }
};

/// ICMP results of one target over the last icmp_window probes.
struct TargetRt {
  std::string name;
  std::uint16_t fail_bits = 0;  // bit 0 = newest
  std::uint8_t count = 0;
  std::int8_t last = -1;    // -1 none, 0 replied, 1 failed
  std::uint8_t streak = 0;  // consecutive unanswered probes
  float rtt_sum = 0;        // sum of the RTTs in rtts_ of answered probes in the window
  std::array<float, 16> rtts{};
  TimePoint time{};
  TimePoint fail_since{};
  std::vector<std::uint32_t> circuits;
};

struct GroupRt {
  std::string name;
  std::uint32_t raw_down = 0;
};

struct CircuitRt {
  std::uint32_t dev = kNone;
  std::uint32_t carrier_t = kNone;
  std::uint32_t customer_t = kNone;
  std::uint16_t uni = 0xffff;
  std::vector<std::uint16_t> uplinks;
  CircuitState base = CircuitState::Unknown;   // after hysteresis, before maintenance
  CircuitState shown = CircuitState::Unknown;  // what is reported
  bool raw_down = false;
  bool flapping = false;
  bool member = false;          // currently a child of incident `incident`
  std::uint16_t down_bits = 0;  // bit 0 = newest sample
  std::uint16_t bad_bits = 0;
  std::uint8_t samples = 0;
  std::uint8_t good_run = 0;
  std::int8_t cfm_loc = -1;
  TimePoint since{};
  TimePoint last_sample{};
  TimePoint last_failure{};
  TimePoint cfm_time{};
  std::optional<TimePoint> tp_time;
  float tp_loss = NAN;
  float tp_delay = NAN;
  float tp_util = NAN;
  std::vector<TimePoint> outages;  // starts of outages inside flap_window
  std::uint64_t incident = 0;      // open (or last) incident number, 0 none
  const Rule* rule = nullptr;      // rule behind the current decision
  Decision decision;
};

struct Incident {
  std::uint64_t num = 0;
  std::string id;
  TimePoint start{};
  bool pending = true;
  bool open = true;
  bool flapping = false;
  std::optional<TimePoint> resolved;
  std::vector<std::uint32_t> children;
  std::unordered_set<std::uint32_t> devs, aggs, sites;
  std::string root;
  std::string split_from;
  Decision decision;
  /// While pending: outage decisions of children that recovered before the announcement.
  std::unordered_map<std::uint32_t, Decision> recovered;
  /// Children that left at `leave_at` and are not yet announced (one split per instant).
  std::vector<std::string> leaving;
  std::optional<TimePoint> leave_at;  // instant with unannounced changes (leaves, joins, decisions)
  bool touched = false;  // children joined or changed state: announce even if same decision
};

std::string compactIso(TimePoint t) {
  // "2024-07-01T08:00:30Z" -> "20240701T080030Z" for incident ids.
  std::string s = formatIso(t), out;
  for (char c : s)
    if (c != '-' && c != ':' && c != '.') out += c;
  return out;
}

std::string fmtDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

struct Engine::Impl {
  Inventory inv;
  Rules rules;
  EngineSettings st;
  std::vector<CircuitRt> cs;
  std::vector<DeviceRt> devs;
  std::vector<TargetRt> targets;
  std::vector<GroupRt> aggs, sites;
  std::unordered_map<std::string, std::uint32_t> circuit_idx, dev_idx, target_idx, agg_idx,
      site_idx;
  std::map<std::uint64_t, Incident> incidents;  // open ones and recently resolved ones
  std::vector<std::uint64_t> dirty;             // incidents with children leaving (see flushLeaves)
  std::uint64_t next_incident = 1;
  std::vector<EngineEvent> out;
  bool blind = false;
  bool blind_from_health = false;
  std::string blind_detail;
  std::uint32_t targets_seen = 0, targets_failing = 0;
  TimePoint now{};

  Impl(const Inventory& i, Rules r, EngineSettings s) : rules(std::move(r)), st(s) {
    st.window_m = std::clamp(st.window_m, 1, 16);
    st.down_n = std::clamp(st.down_n, 1, st.window_m);
    st.recover_k = std::clamp(st.recover_k, 1, 16);
    st.icmp_window = std::clamp(st.icmp_window, 1, 16);
    build(i);
  }

  // ---- inventory -------------------------------------------------------------------------
  std::uint32_t group(std::vector<GroupRt>& g, std::unordered_map<std::string, std::uint32_t>& idx,
                      const std::string& name) {
    if (name.empty()) return kNone;
    auto [it, fresh] = idx.emplace(name, static_cast<std::uint32_t>(g.size()));
    if (fresh) g.push_back(GroupRt{name});
    return it->second;
  }
  std::uint32_t target(const std::string& name, std::uint32_t ci) {
    if (name.empty()) return kNone;
    auto [it, fresh] = target_idx.emplace(name, static_cast<std::uint32_t>(targets.size()));
    if (fresh) targets.push_back(TargetRt{name});
    auto& cl = targets[it->second].circuits;
    if (std::find(cl.begin(), cl.end(), ci) == cl.end()) cl.push_back(ci);
    return it->second;
  }

  void build(const Inventory& i) {
    inv = i;
    cs.assign(inv.circuits.size(), CircuitRt{});
    devs.clear();
    targets.clear();
    aggs.clear();
    sites.clear();
    circuit_idx.clear();
    dev_idx.clear();
    target_idx.clear();
    agg_idx.clear();
    site_idx.clear();
    devs.reserve(inv.devices.size());
    for (const auto& d : inv.devices) {
      DeviceRt rt;
      rt.name = d.name;
      rt.agg = group(aggs, agg_idx, d.aggregation);
      rt.site = group(sites, site_idx, d.site);
      dev_idx.emplace(d.name, static_cast<std::uint32_t>(devs.size()));
      devs.push_back(std::move(rt));
    }
    circuit_idx.reserve(inv.circuits.size());
    for (std::uint32_t ci = 0; ci < inv.circuits.size(); ++ci) {
      const auto& c = inv.circuits[ci];
      auto& rt = cs[ci];
      circuit_idx.emplace(c.key, ci);
      auto d = dev_idx.find(c.device);
      if (d != dev_idx.end()) {
        rt.dev = d->second;
        auto& dev = devs[rt.dev];
        dev.circuits.push_back(ci);
        if (!c.uni_interface.empty()) rt.uni = dev.ifIndex(c.uni_interface);
        for (const auto& u : c.uplink_interfaces) rt.uplinks.push_back(dev.ifIndex(u));
      }
      rt.carrier_t = target(c.carrier_target, ci);
      rt.customer_t = target(c.customer_target, ci);
    }
  }

  const Circuit& def(std::uint32_t ci) const { return inv.circuits[ci]; }
  std::uint32_t aggOf(std::uint32_t ci) const {
    return cs[ci].dev == kNone ? kNone : devs[cs[ci].dev].agg;
  }
  std::uint32_t siteOf(std::uint32_t ci) const {
    if (cs[ci].dev != kNone && devs[cs[ci].dev].site != kNone) return devs[cs[ci].dev].site;
    auto it = site_idx.find(def(ci).site);
    return it == site_idx.end() ? kNone : it->second;
  }

  // ---- facts -----------------------------------------------------------------------------
  struct Window {
    const MaintenanceWindow* w = nullptr;
  };

  const MaintenanceWindow* maintenanceFor(std::uint32_t ci, TimePoint t) const {
    const MaintenanceWindow* best = nullptr;
    const auto& c = def(ci);
    for (const auto& w : inv.maintenance) {
      if (t < w.start || t >= w.end) continue;
      bool in = w.circuits.empty() && w.devices.empty();
      in = in || std::find(w.circuits.begin(), w.circuits.end(), c.key) != w.circuits.end();
      in = in || (!c.device.empty() &&
                  std::find(w.devices.begin(), w.devices.end(), c.device) != w.devices.end());
      if (!in) continue;
      if (!best || (w.force_majeure && !best->force_majeure)) best = &w;
    }
    return best;
  }

  bool noticeOk(const MaintenanceWindow& w) const {
    return w.notified_at && w.start - *w.notified_at >= st.maintenance_notice;
  }

  bool targetFresh(const TargetRt& t, TimePoint at) const {
    return t.last >= 0 && at - t.time <= st.stale_after;
  }

  double lossOf(const TargetRt& t) const {
    return t.count == 0 ? 0.0 : static_cast<double>(std::popcount(t.fail_bits)) / t.count;
  }
  std::optional<double> meanRtt(const TargetRt& t) const {
    const int replies = t.count - std::popcount(t.fail_bits);
    if (replies <= 0) return std::nullopt;
    return t.rtt_sum / replies;
  }

  FactSet facts(std::uint32_t ci, TimePoint t) const {
    FactSet f;
    const auto& rt = cs[ci];
    f.set(Fact::MonitorBlind, blind);
    if (const auto* w = maintenanceFor(ci, t)) {
      f.set(Fact::ForceMajeure, w->force_majeure);
      f.set(Fact::MaintenanceWindow, !w->force_majeure);
      if (!w->force_majeure) f.set(Fact::MaintenanceNoticeOk, noticeOk(*w));
    } else {
      f.set(Fact::ForceMajeure, false);
      f.set(Fact::MaintenanceWindow, false);
    }
    if (rt.dev != kNone) {
      const auto& d = devs[rt.dev];
      if (d.silent >= 0) f.set(Fact::DeviceSilent, d.silent == 1);
      // A dying gasp explains a silence that began around it for as long as the silence lasts (a
      // long power cut stays the customer's power); otherwise it is evidence for trap_window.
      bool gasp = false;
      if (d.gasp && t >= *d.gasp && !(d.silent == 0 && d.last_answer > *d.gasp)) {
        const bool explains = d.silent == 1 && d.silent_since &&
                              *d.silent_since + st.trap_window >= *d.gasp &&
                              *d.silent_since <= *d.gasp + st.trap_window;
        gasp = explains || t - *d.gasp <= st.trap_window;
      }
      f.set(Fact::DyingGasp, gasp);
      f.set(Fact::SysUptimeReset, d.reboot && t >= *d.reboot && t - *d.reboot <= st.reboot_window);
      if (rt.uni != 0xffff && d.ifs[rt.uni].seen) {
        const auto& u = d.ifs[rt.uni];
        f.set(Fact::UniAdminDown, u.admin == IfStatus::Down);
        f.set(Fact::UniDown, u.oper != IfStatus::Up);
        if (!std::isnan(u.util)) f.set(Fact::UtilisationHigh, u.util >= st.utilisation_high);
      }
      if (!rt.uplinks.empty()) {
        bool all_seen = true, any_up = false;
        double min_rx = NAN;
        for (auto ui : rt.uplinks) {
          const auto& u = d.ifs[ui];
          all_seen = all_seen && u.seen;
          any_up = any_up || (u.seen && u.oper == IfStatus::Up);
          if (!std::isnan(u.rx_dbm) && (std::isnan(min_rx) || u.rx_dbm < min_rx)) min_rx = u.rx_dbm;
        }
        if (any_up)
          f.set(Fact::UplinkDown, false);
        else if (all_seen)
          f.set(Fact::UplinkDown, true);
        // With redundant uplinks the best one decides whether light arrives at all.
        if (!std::isnan(min_rx)) {
          double best_rx = NAN;
          for (auto ui : rt.uplinks)
            if (!std::isnan(d.ifs[ui].rx_dbm) &&
                (std::isnan(best_rx) || d.ifs[ui].rx_dbm > best_rx))
              best_rx = d.ifs[ui].rx_dbm;
          f.set(Fact::OpticalLow, min_rx < st.optical_low_dbm);
          f.set(Fact::OpticalLos, best_rx <= st.optical_los_dbm);
        }
      }
      // Neighbours: other circuits on the same device, other devices on the aggregation/site.
      const std::uint32_t self = rt.raw_down ? 1 : 0;
      f.set(Fact::DeviceNeighboursFailing, d.raw_down > self);
      if (d.agg != kNone)
        f.set(Fact::AggregationNeighboursFailing, aggs[d.agg].raw_down > d.raw_down);
      if (d.site != kNone) f.set(Fact::SiteNeighboursFailing, sites[d.site].raw_down > d.raw_down);
      if (!rt.uplinks.empty()) {
        bool shared = false;
        for (auto other : d.circuits) {
          if (other == ci || !cs[other].raw_down) continue;
          for (auto u : cs[other].uplinks)
            shared =
                shared || std::find(rt.uplinks.begin(), rt.uplinks.end(), u) != rt.uplinks.end();
        }
        f.set(Fact::UplinkNeighboursFailing, shared);
      }
    }
    if (rt.carrier_t != kNone && targetFresh(targets[rt.carrier_t], t))
      f.set(Fact::CarrierIcmpFail, targets[rt.carrier_t].last == 1);
    const TargetRt* perf = nullptr;
    if (rt.customer_t != kNone && targetFresh(targets[rt.customer_t], t)) {
      f.set(Fact::CustomerIcmpFail, targets[rt.customer_t].last == 1);
      perf = &targets[rt.customer_t];
    } else if (rt.carrier_t != kNone && targetFresh(targets[rt.carrier_t], t)) {
      perf = &targets[rt.carrier_t];
    }
    if (perf && perf->count >= 5) {
      // A single lost echo is not a loss trend: at least two losses in the window.
      f.set(Fact::LossHigh, lossOf(*perf) >= st.loss_high && std::popcount(perf->fail_bits) >= 2);
      if (auto m = meanRtt(*perf)) f.set(Fact::LatencyHigh, *m > st.latency_high_ms);
    }
    if (rt.tp_time && t - *rt.tp_time <= st.stale_after) {
      if (!std::isnan(rt.tp_loss) && !f.isTrue(Fact::LossHigh))
        f.set(Fact::LossHigh, rt.tp_loss >= st.loss_high);
      if (!std::isnan(rt.tp_delay) && !f.isTrue(Fact::LatencyHigh))
        f.set(Fact::LatencyHigh, rt.tp_delay > st.latency_high_ms);
      if (!std::isnan(rt.tp_util) && !f.isTrue(Fact::UtilisationHigh))
        f.set(Fact::UtilisationHigh, rt.tp_util >= st.utilisation_high);
    }
    if (rt.cfm_loc >= 0 && t - rt.cfm_time <= st.stale_after) f.set(Fact::CfmLoc, rt.cfm_loc == 1);
    return f;
  }

  /// Raw verdict of one sample: 2 down, 1 degraded, 0 up, -1 no evidence at all.
  int classify(const FactSet& f) const {
    const bool hard = f.isTrue(Fact::DeviceSilent) || f.isTrue(Fact::UplinkDown) ||
                      f.isTrue(Fact::UniDown) || f.isTrue(Fact::CfmLoc) ||
                      f.isTrue(Fact::OpticalLos) ||
                      (f.isTrue(Fact::CarrierIcmpFail) && f.isUnknown(Fact::CustomerIcmpFail));
    if (f.isTrue(Fact::CustomerIcmpFail)) return 2;
    // The customer router answering proves the service carries traffic: hard evidence against it
    // is contradictory, reported as degraded so that the rules can say what to check.
    if (hard) return f.isFalse(Fact::CustomerIcmpFail) ? 1 : 2;
    if (f.isTrue(Fact::OpticalLow) || f.isTrue(Fact::LossHigh) || f.isTrue(Fact::LatencyHigh) ||
        f.isTrue(Fact::UtilisationHigh))
      return 1;
    const std::uint32_t evidence = FactSet::bit(Fact::DeviceSilent) |
                                   FactSet::bit(Fact::UplinkDown) | FactSet::bit(Fact::UniDown) |
                                   FactSet::bit(Fact::CarrierIcmpFail) |
                                   FactSet::bit(Fact::CustomerIcmpFail) |
                                   FactSet::bit(Fact::CfmLoc) | FactSet::bit(Fact::LossHigh);
    return (f.known & evidence) ? 0 : -1;
  }

  // ---- decisions -------------------------------------------------------------------------
  std::string expand(const std::string& tpl, std::uint32_t ci) const {
    const auto& c = def(ci);
    std::string dev = c.device.empty() ? "(unmapped device)" : c.device;
    std::string agg = aggOf(ci) == kNone ? "(unknown)" : aggs[aggOf(ci)].name;
    std::string site = c.site;
    if (cs[ci].dev != kNone && devs[cs[ci].dev].site != kNone)
      site = sites[devs[cs[ci].dev].site].name;
    std::string text;
    for (std::size_t i = 0; i < tpl.size(); ++i) {
      if (tpl[i] == '{') {
        auto j = tpl.find('}', i);
        if (j != std::string::npos) {
          auto k = tpl.substr(i + 1, j - i - 1);
          if (k == "device") {
            text += dev;
            i = j;
            continue;
          }
          if (k == "site") {
            text += site;
            i = j;
            continue;
          }
          if (k == "aggregation") {
            text += agg;
            i = j;
            continue;
          }
          if (k == "circuit") {
            text += c.key;
            i = j;
            continue;
          }
        }
      }
      text += tpl[i];
    }
    return text;
  }

  static std::string_view ifStatusName(IfStatus s) {
    switch (s) {
      case IfStatus::Up:
        return "up";
      case IfStatus::Down:
        return "down";
      case IfStatus::Testing:
        return "testing";
      case IfStatus::Dormant:
        return "dormant";
      case IfStatus::NotPresent:
        return "notPresent";
      case IfStatus::LowerLayerDown:
        return "lowerLayerDown";
      default:
        return "unknown";
    }
  }

  std::vector<Evidence> evidence(std::uint32_t ci, TimePoint t, const FactSet& f) const {
    std::vector<Evidence> ev;
    const auto& rt = cs[ci];
    auto add = [&](std::string n, std::string v, TimePoint at) {
      ev.push_back({std::move(n), std::move(v), at});
    };
    if (blind) add("monitor", "blind: " + blind_detail, t);
    if (rt.dev != kNone) {
      const auto& d = devs[rt.dev];
      if (d.silent >= 0)
        add("device_snmp", d.silent ? "silent" : "answering", d.poll_time);
      else
        add("device_snmp", "not polled yet", t);
      if (d.uptime) add("sys_uptime", std::to_string(*d.uptime), d.poll_time);
      if (d.reboot) add("sysuptime_reset", formatIso(*d.reboot), *d.reboot);
      if (rt.uni != 0xffff) {
        const auto& u = d.ifs[rt.uni];
        if (u.seen) {
          add("uni_admin", std::string(ifStatusName(u.admin)), u.time);
          add("uni_oper", std::string(ifStatusName(u.oper)), u.time);
          if (!std::isnan(u.util)) add("uni_utilisation", fmtDouble(u.util), u.time);
        } else {
          add("uni_oper", "no sample", t);
        }
      }
      for (auto ui : rt.uplinks) {
        const auto& u = d.ifs[ui];
        if (!u.seen) {
          add("uplink_oper", u.name + " no sample", t);
          continue;
        }
        add("uplink_oper", u.name + " " + std::string(ifStatusName(u.oper)), u.time);
        if (!std::isnan(u.rx_dbm))
          add("uplink_rx_dbm",
              u.name + " " + fmtDouble(u.rx_dbm) + " (low < " + fmtDouble(st.optical_low_dbm) +
                  ", los <= " + fmtDouble(st.optical_los_dbm) + ")",
              u.time);
      }
      if (d.gasp)
        add(d.gasp_kind.empty() ? "dying_gasp" : d.gasp_kind, formatIso(*d.gasp), *d.gasp);
      if (d.agg != kNone)
        add("aggregation_failing",
            aggs[d.agg].name + ": " + std::to_string(aggs[d.agg].raw_down - d.raw_down) +
                " circuits on other devices",
            t);
      if (d.site != kNone)
        add("site_failing",
            sites[d.site].name + ": " + std::to_string(sites[d.site].raw_down - d.raw_down) +
                " circuits on other devices",
            t);
      const std::uint32_t self = rt.raw_down ? 1 : 0;
      add("device_failing", std::to_string(d.raw_down - self) + " other circuits on " + d.name, t);
    } else {
      add("device_snmp", "no device mapped", t);
    }
    auto icmp = [&](const char* name, std::uint32_t ti) {
      if (ti == kNone) {
        add(name, "no target configured", t);
        return;
      }
      const auto& tg = targets[ti];
      if (tg.last < 0) {
        add(name, tg.name + " no sample", t);
        return;
      }
      std::string v = tg.name + (tg.last == 1 ? " no reply" : " reply") + ", loss " +
                      fmtDouble(lossOf(tg) * 100) + "% of " + std::to_string(tg.count);
      if (auto m = meanRtt(tg)) v += ", mean rtt " + fmtDouble(*m) + " ms";
      add(name, v, tg.time);
    };
    icmp("carrier_icmp", rt.carrier_t);
    icmp("customer_icmp", rt.customer_t);
    if (rt.cfm_loc >= 0)
      add("cfm", rt.cfm_loc ? "loss of continuity" : "continuity ok", rt.cfm_time);
    if (rt.tp_time) {
      std::string v;
      if (!std::isnan(rt.tp_loss)) v += "loss " + fmtDouble(rt.tp_loss * 100) + "% ";
      if (!std::isnan(rt.tp_delay)) v += "delay " + fmtDouble(rt.tp_delay) + " ms ";
      if (!std::isnan(rt.tp_util)) v += "utilisation " + fmtDouble(rt.tp_util);
      add("throughput", v, *rt.tp_time);
    }
    if (const auto* w = maintenanceFor(ci, t)) {
      std::string v = w->id + " " + formatIso(w->start) + ".." + formatIso(w->end);
      if (w->force_majeure)
        v += " force majeure";
      else if (w->notified_at)
        v += ", notified " + formatIso(*w->notified_at) +
             (noticeOk(*w) ? " (advance notice)" : " (short notice)");
      else
        v += ", no notice";
      if (!w->reference.empty()) v += " [" + w->reference + "]";
      add(w->force_majeure ? "force_majeure" : "maintenance_window", v, w->start);
    }
    // The boolean facts themselves, so a decision shows exactly what the rule saw.
    std::string tf;
    for (unsigned i = 0; i < static_cast<unsigned>(Fact::kCount); ++i) {
      auto fa = static_cast<Fact>(i);
      if (f.isUnknown(fa)) continue;
      if (!tf.empty()) tf += ' ';
      tf += (f.isTrue(fa) ? "" : "!") + std::string(toString(fa));
    }
    add("facts", tf, t);
    return ev;
  }

  Decision decide(std::uint32_t ci, TimePoint t, CircuitState base, const Rule** fired) const {
    Decision d;
    d.state = base;
    *fired = nullptr;
    if (base == CircuitState::Up) {
      d.party = Party::None;
      d.summary = "circuit up";
      return d;
    }
    FactSet f = facts(ci, t);
    if (base == CircuitState::Unknown && !blind) {
      d.summary = "no data: the monitor has no recent sample for this circuit";
      d.next_step = "check the probes configured for " + def(ci).key + " (device, ICMP targets)";
      d.evidence = evidence(ci, t, f);
      return d;
    }
    f.set(Fact::CircuitDown, base == CircuitState::Down);
    f.set(Fact::CircuitDegraded, base == CircuitState::Degraded);
    const Rule* r = rules.match(f);
    *fired = r;
    if (r) {
      d.location = r->location;
      d.party = r->party;
      d.clause = r->clause;
      d.rule_id = r->id;
      d.summary = expand(r->summary, ci);
      if (r->party == Party::Undetermined || !r->next_step.empty())
        d.next_step = expand(r->next_step, ci);
    } else {
      d.summary = "no rule matched";
      d.next_step = "add a final catch-all rule; ask the carrier for a loopback test at the UNI";
    }
    if (d.party == Party::Undetermined && d.location != FaultLocation::MonitorBlind) {
      std::string missing;
      for (Fact m : {Fact::DeviceSilent, Fact::UplinkDown, Fact::UniDown, Fact::CarrierIcmpFail,
                     Fact::CustomerIcmpFail, Fact::CfmLoc}) {
        if (!f.isUnknown(m)) continue;
        if (!missing.empty()) missing += ", ";
        missing += toString(m);
      }
      if (!missing.empty()) d.next_step += " (missing evidence: " + missing + ")";
    }
    if (d.location == FaultLocation::PlannedMaintenance) d.state = CircuitState::Maintenance;
    d.evidence = evidence(ci, t, f);
    return d;
  }

  const Incident* openIncidentOf(std::uint32_t ci) const {
    if (!cs[ci].incident || !cs[ci].member) return nullptr;
    auto it = incidents.find(cs[ci].incident);
    return it != incidents.end() && it->second.open ? &it->second : nullptr;
  }

  // ---- events ----------------------------------------------------------------------------
  void emitCircuit(std::uint32_t ci, TimePoint t, CircuitState from, bool suppressed) {
    EngineEvent e;
    e.kind = EngineEventKind::CircuitStateChanged;
    e.time = t;
    e.circuit = def(ci).key;
    e.from = from;
    e.flapping = cs[ci].flapping;
    e.decision = cs[ci].decision;
    e.suppressed = suppressed;
    if (const Incident* inc = openIncidentOf(ci)) e.incident = inc->id, e.root_cause = inc->root;
    out.push_back(std::move(e));
  }

  std::vector<std::string> keysOf(const std::vector<std::uint32_t>& v) const {
    std::vector<std::string> k;
    k.reserve(v.size());
    for (auto ci : v) k.push_back(def(ci).key);
    return k;
  }

  void emitIncident(EngineEventKind kind, const Incident& inc, TimePoint t,
                    std::vector<std::string> removed = {}) {
    EngineEvent e;
    e.kind = kind;
    e.time = t;
    e.incident = inc.id;
    e.root_cause = inc.root;
    e.circuits = keysOf(inc.children);
    e.flapping = inc.flapping;
    e.decision = inc.decision;
    e.removed = std::move(removed);
    e.split_from = kind == EngineEventKind::IncidentOpened ? inc.split_from : std::string();
    out.push_back(std::move(e));
  }

  static bool isOutage(CircuitState s) {
    return s == CircuitState::Down || s == CircuitState::Degraded || s == CircuitState::Maintenance;
  }

  // ---- correlation -----------------------------------------------------------------------
  std::string rootOf(const std::vector<std::uint32_t>& ch) const {
    if (ch.empty()) return "";
    if (ch.size() == 1) return "circuit:" + def(ch[0]).key;
    auto same = [&](auto get) {
      auto v = get(ch[0]);
      if (v == kNone) return false;
      for (auto ci : ch)
        if (get(ci) != v) return false;
      return true;
    };
    if (same([&](std::uint32_t ci) { return cs[ci].dev; })) {
      const auto& d = devs[cs[ch[0]].dev];
      // A shared uplink is the root only when circuits of the same device on other uplinks stay up.
      for (auto u : cs[ch[0]].uplinks) {
        bool all = true;
        for (auto ci : ch)
          all = all &&
                std::find(cs[ci].uplinks.begin(), cs[ci].uplinks.end(), u) != cs[ci].uplinks.end();
        if (!all) continue;
        bool others_fine = false;
        for (auto o : d.circuits) {
          if (std::find(ch.begin(), ch.end(), o) != ch.end()) continue;
          const bool on_u =
              std::find(cs[o].uplinks.begin(), cs[o].uplinks.end(), u) != cs[o].uplinks.end();
          if (!on_u && !isOutage(cs[o].shown)) others_fine = true;
        }
        if (others_fine) return "uplink:" + d.name + "/" + d.ifs[u].name;
      }
      return "device:" + d.name;
    }
    if (same([&](std::uint32_t ci) { return aggOf(ci); }))
      return "aggregation:" + aggs[aggOf(ch[0])].name;
    if (same([&](std::uint32_t ci) { return siteOf(ci); }))
      return "site:" + sites[siteOf(ch[0])].name;
    return "";
  }

  /// Splits children into groups that each have a single root cause.
  std::vector<std::vector<std::uint32_t>> partition(const std::vector<std::uint32_t>& ch) const {
    if (ch.empty() || !rootOf(ch).empty()) return {ch};
    std::map<std::string, std::vector<std::uint32_t>> by;
    for (auto ci : ch) {
      std::string k;
      if (aggOf(ci) != kNone)
        k = "a:" + aggs[aggOf(ci)].name;
      else if (cs[ci].dev != kNone)
        k = "d:" + devs[cs[ci].dev].name;
      else
        k = "c:" + def(ci).key;
      by[k].push_back(ci);
    }
    std::vector<std::vector<std::uint32_t>> groups;
    for (auto& [k, v] : by) groups.push_back(std::move(v));
    std::stable_sort(groups.begin(), groups.end(),
                     [](auto& a, auto& b) { return a.size() > b.size(); });
    return groups;
  }

  void indexChild(Incident& inc, std::uint32_t ci) {
    if (cs[ci].dev != kNone) inc.devs.insert(cs[ci].dev);
    if (aggOf(ci) != kNone) inc.aggs.insert(aggOf(ci));
    if (siteOf(ci) != kNone) inc.sites.insert(siteOf(ci));
  }

  void reindex(Incident& inc) {
    inc.devs.clear();
    inc.aggs.clear();
    inc.sites.clear();
    for (auto ci : inc.children) indexChild(inc, ci);
  }

  bool shares(const Incident& inc, std::uint32_t ci) const {
    return (cs[ci].dev != kNone && inc.devs.count(cs[ci].dev)) ||
           (aggOf(ci) != kNone && inc.aggs.count(aggOf(ci))) ||
           (siteOf(ci) != kNone && inc.sites.count(siteOf(ci)));
  }

  Incident& newIncident(TimePoint t) {
    const auto n = next_incident++;
    Incident inc;
    inc.num = n;
    inc.id = "INC-" + compactIso(t) + "-" + std::to_string(n);
    inc.start = t;
    return incidents.emplace(n, std::move(inc)).first->second;
  }

  /// Re-decides every child (neighbour facts change as an outage spreads) and merges.
  /// redecide: re-run the rules for every child (at announcement); otherwise merge the
  /// children's current decisions, which keeps a large incident's updates linear.
  void decideIncident(Incident& inc, TimePoint t, bool redecide = false) {
    inc.flapping = false;
    for (auto ci : inc.children) {
      auto& rt = cs[ci];
      if (redecide && isOutage(rt.shown)) rt.decision = decide(ci, t, rt.base, &rt.rule);
      inc.flapping = inc.flapping || rt.flapping;
    }
    Decision d;
    const Decision* first = nullptr;
    bool agree = true;
    std::set<std::pair<Party, FaultLocation>> parties;  // only filled on disagreement
    for (auto ci : inc.children) {
      const auto& cd = cs[ci].decision;
      if (cs[ci].shown == CircuitState::Unknown) continue;
      if (!first) {
        first = &cd;
      } else if (cd.location != first->location || cd.party != first->party ||
                 cd.clause != first->clause) {
        if (agree) parties.emplace(first->party, first->location);
        agree = false;
      }
      if (!agree) parties.emplace(cd.party, cd.location);
    }
    const std::string scope = inc.root.empty() ? "mixed scope" : inc.root;
    if (!first) {
      d.state = CircuitState::Unknown;
      d.summary = "children have no current data";
      d.next_step = "wait for fresh samples from the children of " + scope;
    } else if (agree) {
      d = *first;
      d.summary = std::to_string(inc.children.size()) + " circuit(s), root " + scope + ": " +
                  first->summary;
    } else {
      d.state = first->state;
      d.summary = "children of " + scope + " disagree";
      std::string ps;
      for (const auto& [pa, lo] : parties)
        ps +=
            (ps.empty() ? "" : ", ") + std::string(toString(pa)) + "/" + std::string(toString(lo));
      d.next_step = "decide per circuit: the children point to " + ps;
      d.rule_id = "incident-disagreement";
      d.evidence = first->evidence;
    }
    d.evidence.insert(d.evidence.begin(),
                      Evidence{"incident_children", std::to_string(inc.children.size()), t});
    d.evidence.insert(d.evidence.begin(), Evidence{"root_cause", scope, t});
    inc.decision = std::move(d);
  }

  /// Closes a pending incident's correlation window: root cause, honest split, announcement.
  void announce(Incident& inc, TimePoint t) {
    inc.pending = false;
    std::vector<std::uint32_t> live;
    for (auto ci : inc.children)
      if (isOutage(cs[ci].shown) || cs[ci].shown == CircuitState::Unknown) live.push_back(ci);
    if (live.empty()) {
      // The whole outage ended inside its correlation window: still an outage, record it.
      reindex(inc);
      inc.root = rootOf(inc.children);
      for (auto ci : inc.children) {
        auto it = inc.recovered.find(ci);
        if (it != inc.recovered.end()) std::swap(cs[ci].decision, it->second);
      }
      decideIncident(inc, t);
      for (auto ci : inc.children) {
        auto it = inc.recovered.find(ci);
        if (it != inc.recovered.end()) std::swap(cs[ci].decision, it->second);
      }
      // Each child's recovery time is in its circuit_state_changed event; the incident's end is
      // the last of them, recorded here because the events below are stamped at the window close.
      TimePoint ended = inc.start;
      for (auto ci : inc.children) ended = std::max(ended, cs[ci].since);
      inc.decision.evidence.push_back({"recovered_at", formatIso(ended), ended});
      inc.recovered.clear();
      emitIncident(EngineEventKind::IncidentOpened, inc, t);
      const auto keys = keysOf(inc.children);
      for (auto ci : inc.children) cs[ci].member = false;
      inc.children.clear();
      reindex(inc);
      inc.open = false;
      inc.resolved = t;
      emitIncident(EngineEventKind::IncidentResolved, inc, t, keys);
      return;
    }
    inc.recovered.clear();
    for (auto ci : inc.children)
      if (std::find(live.begin(), live.end(), ci) == live.end()) cs[ci].member = false;
    inc.children = live;
    auto groups = partition(inc.children);
    inc.children = groups.empty() ? std::vector<std::uint32_t>{} : groups[0];
    reindex(inc);
    inc.root = rootOf(inc.children);
    decideIncident(inc, t, true);
    if (inc.children.empty()) {
      inc.open = false;
      inc.resolved = t;
      return;
    }
    emitIncident(EngineEventKind::IncidentOpened, inc, t);
    for (std::size_t g = 1; g < groups.size(); ++g) {
      Incident& other = newIncident(inc.start);
      other.pending = false;
      other.children = groups[g];
      for (auto ci : other.children) cs[ci].incident = other.num;
      reindex(other);
      other.root = rootOf(other.children);
      decideIncident(other, t, true);
      emitIncident(EngineEventKind::IncidentOpened, other, t);
    }
  }

  void closePendingUpTo(TimePoint t) {
    for (auto& [n, inc] : incidents)
      if (inc.open && inc.pending && inc.start + st.correlation_window <= t)
        announce(inc, inc.start + st.correlation_window);
  }

  void joinIncident(std::uint32_t ci, TimePoint t) {
    auto& rt = cs[ci];
    // A circuit that fails again soon after its incident closed re-opens that incident: a
    // bouncing line is one fault, not one per bounce.
    if (rt.incident) {
      auto it = incidents.find(rt.incident);
      if (it != incidents.end()) {
        Incident& inc = it->second;
        const bool recent = inc.open || (inc.resolved && t - *inc.resolved <= st.flap_window);
        if (recent) {
          if (std::find(inc.children.begin(), inc.children.end(), ci) == inc.children.end())
            inc.children.push_back(ci);
          rt.member = true;
          inc.recovered.erase(ci);
          std::erase(inc.leaving, def(ci).key);
          indexChild(inc, ci);
          const bool was_open = inc.open;
          inc.open = true;
          inc.resolved.reset();
          if (!inc.pending) {
            inc.root = rootOf(inc.children);
            decideIncident(inc, t);
            if (!was_open || rt.flapping) inc.flapping = inc.flapping || rt.flapping;
            emitIncident(EngineEventKind::IncidentUpdated, inc, t);
          }
          return;
        }
      }
    }
    for (auto& [n, inc] : incidents) {
      if (!inc.open) continue;
      const Duration reach = inc.pending ? st.correlation_window : st.late_join;
      if (t - inc.start > reach || !shares(inc, ci)) continue;
      inc.children.push_back(ci);
      indexChild(inc, ci);
      rt.incident = n;
      rt.member = true;
      if (!inc.pending) mark(inc, t, true);
      return;
    }
    Incident& inc = newIncident(t);
    inc.children.push_back(ci);
    indexChild(inc, ci);
    rt.incident = inc.num;
    rt.member = true;
  }

  void leaveIncident(std::uint32_t ci, TimePoint t, Decision outage_decision) {
    auto& rt = cs[ci];
    if (!rt.member) return;
    auto it = incidents.find(rt.incident);
    if (it == incidents.end() || !it->second.open) return;
    Incident& inc = it->second;
    auto pos = std::find(inc.children.begin(), inc.children.end(), ci);
    if (pos == inc.children.end()) return;
    if (inc.pending) {
      // Still inside the correlation window: the announcement sorts out who recovered.
      inc.recovered[ci] = std::move(outage_decision);
      return;
    }
    inc.children.erase(pos);
    rt.member = false;
    // Children recovering at one instant (a poll round) leave together: one split per instant,
    // so a large incident's recovery stays linear.
    inc.leaving.push_back(def(ci).key);
    mark(inc, t, false);
  }

  /// Records an unannounced change of an announced incident at instant t. Changes of one
  /// instant (a poll round: joins, leaves, decision changes) are announced together when time
  /// moves on, so that a storm costs one incident event per instant, not one per circuit.
  void mark(Incident& inc, TimePoint t, bool touched) {
    inc.touched = inc.touched || touched;
    if (inc.leave_at) return;
    inc.leave_at = t;
    dirty.push_back(inc.num);
  }

  /// Announces the children that left before `before` (all when nullopt): split or resolution.
  void flushLeaves(std::optional<TimePoint> upto = std::nullopt) {
    if (dirty.empty()) return;
    std::vector<std::uint64_t> keep;
    const auto list = std::move(dirty);
    dirty.clear();
    for (auto n : list) {
      auto it = incidents.find(n);
      if (it == incidents.end() || !it->second.leave_at) continue;
      if (upto && *it->second.leave_at > *upto) {
        keep.push_back(n);
        continue;
      }
      splitAfterLeaves(it->second);
    }
    dirty.insert(dirty.end(), keep.begin(), keep.end());
  }

  void splitAfterLeaves(Incident& inc) {
    const TimePoint t = *inc.leave_at;
    auto removed = std::move(inc.leaving);
    inc.leaving.clear();
    inc.leave_at.reset();
    const bool touched = std::exchange(inc.touched, false);
    if (!inc.open || inc.pending) return;
    reindex(inc);
    if (inc.children.empty()) {
      inc.open = false;
      inc.resolved = t;
      emitIncident(EngineEventKind::IncidentResolved, inc, t, std::move(removed));
      return;
    }
    // Honest split: the remaining children may no longer share the original root cause (children
    // recovered, or a late joiner shares only a site with a node-wide outage).
    auto groups = partition(inc.children);
    inc.children = groups[0];
    reindex(inc);
    const std::string old_root = inc.root;
    inc.root = rootOf(inc.children);
    const Decision before = inc.decision;
    decideIncident(inc, t);
    const bool split = !removed.empty() || groups.size() > 1;
    const bool changed = before.location != inc.decision.location ||
                         before.party != inc.decision.party ||
                         before.rule_id != inc.decision.rule_id || old_root != inc.root;
    if (split)
      emitIncident(EngineEventKind::IncidentSplit, inc, t, std::move(removed));
    else if (touched || changed)
      emitIncident(EngineEventKind::IncidentUpdated, inc, t);
    for (std::size_t g = 1; g < groups.size(); ++g) {
      Incident& other = newIncident(t);
      other.pending = false;
      other.split_from = inc.id;
      other.children = groups[g];
      for (auto c : other.children) cs[c].incident = other.num;
      reindex(other);
      other.root = rootOf(other.children);
      decideIncident(other, t);
      emitIncident(EngineEventKind::IncidentOpened, other, t);
    }
  }

  // ---- state -----------------------------------------------------------------------------
  void setRawDown(std::uint32_t ci, bool down) {
    auto& rt = cs[ci];
    if (rt.raw_down == down) return;
    rt.raw_down = down;
    const int d = down ? 1 : -1;
    if (rt.dev != kNone) {
      auto& dev = devs[rt.dev];
      dev.raw_down += d;
      if (dev.agg != kNone) aggs[dev.agg].raw_down += d;
      if (dev.site != kNone) sites[dev.site].raw_down += d;
    }
  }

  /// Applies a new reported state and decision, emitting events and moving incident membership.
  void transition(std::uint32_t ci, TimePoint t, CircuitState base, bool recovering = false) {
    auto& rt = cs[ci];
    // While an outage is recovering (good samples, not yet K of them) the evidence of the outage
    // is fading, not changing: keep the decision instead of re-deciding on partial recovery.
    if (recovering && base == rt.base && isOutage(rt.shown)) return;
    rt.base = base;
    const Rule* fired = nullptr;
    Decision d = decide(ci, t, base, &fired);
    const CircuitState shown = d.state;
    const CircuitState from = rt.shown;
    const bool decision_changed = fired != rt.rule;
    rt.rule = fired;
    Decision previous = std::exchange(rt.decision, std::move(d));
    if (shown == from) {
      if (decision_changed && isOutage(shown) && rt.member) {
        auto it = incidents.find(rt.incident);
        if (it != incidents.end() && it->second.open && !it->second.pending)
          mark(it->second, t, false);
      }
      return;
    }
    rt.shown = shown;
    rt.since = t;
    if (isOutage(shown) && !isOutage(from)) {
      rt.outages.push_back(t);
      std::erase_if(rt.outages, [&](TimePoint o) { return t - o > st.flap_window; });
      if (static_cast<int>(rt.outages.size()) >= st.flap_count) rt.flapping = true;
      rt.decision.evidence.push_back(
          {"outages_in_flap_window", std::to_string(rt.outages.size()), t});
      joinIncident(ci, t);
      emitCircuit(ci, t, from, true);
      return;
    }
    if (shown == CircuitState::Up && isOutage(from)) {
      emitCircuit(ci, t, from, openIncidentOf(ci) != nullptr);
      leaveIncident(ci, t, std::move(previous));
      return;
    }
    // Down <-> degraded <-> maintenance, or into/out of unknown: the incident carries the alarm.
    emitCircuit(ci, t, from,
                openIncidentOf(ci) != nullptr || blind || shown == CircuitState::Unknown ||
                    from == CircuitState::Unknown);
    if (rt.member && isOutage(shown)) {
      auto it = incidents.find(rt.incident);
      if (it != incidents.end() && it->second.open && !it->second.pending)
        mark(it->second, t, true);
    }
  }

  void sample(std::uint32_t ci, TimePoint t) {
    auto& rt = cs[ci];
    FactSet f = facts(ci, t);
    const int raw = classify(f);
    if (raw < 0) return;
    setRawDown(ci, raw == 2);
    if (blind) return;  // samples taken while blind prove nothing about the circuit
    // Observations of one instant (a poll and its interface rows) are one sample, re-evaluated
    // with everything known at that instant, so that N-of-M counts moments, not messages.
    const bool same_instant = rt.samples > 0 && t == rt.last_sample;
    rt.last_sample = std::max(rt.last_sample, t);
    if (same_instant) {
      const bool was_good = (rt.bad_bits & 1) == 0;
      rt.down_bits = static_cast<std::uint16_t>((rt.down_bits & ~1u) | (raw == 2 ? 1 : 0));
      rt.bad_bits = static_cast<std::uint16_t>((rt.bad_bits & ~1u) | (raw >= 1 ? 1 : 0));
      if (raw == 0 && !was_good) rt.good_run = 1;
      if (raw != 0) rt.good_run = 0;
    } else {
      rt.down_bits = static_cast<std::uint16_t>((rt.down_bits << 1) | (raw == 2 ? 1 : 0));
      rt.bad_bits = static_cast<std::uint16_t>((rt.bad_bits << 1) | (raw >= 1 ? 1 : 0));
      if (rt.samples < 16) ++rt.samples;
      rt.good_run = raw == 0 ? static_cast<std::uint8_t>(std::min(rt.good_run + 1, 255)) : 0;
    }
    if (raw > 0) rt.last_failure = t;
    const std::uint16_t mmask = static_cast<std::uint16_t>((1u << st.window_m) - 1);
    const int downs = std::popcount(static_cast<std::uint16_t>(rt.down_bits & mmask));
    const int bads = std::popcount(static_cast<std::uint16_t>(rt.bad_bits & mmask));
    const std::uint16_t kmask = static_cast<std::uint16_t>((1u << std::min(st.recover_k, 16)) - 1);
    CircuitState next = rt.base;
    switch (rt.base) {
      case CircuitState::Unknown:
      case CircuitState::Up:
        if (downs >= st.down_n)
          next = CircuitState::Down;
        else if (bads >= st.down_n)
          next = CircuitState::Degraded;
        else if (rt.good_run >= st.recover_k)
          next = CircuitState::Up;
        break;
      case CircuitState::Degraded:
        if (downs >= st.down_n)
          next = CircuitState::Down;
        else if (rt.good_run >= st.recover_k)
          next = CircuitState::Up;
        break;
      case CircuitState::Down:
        if (rt.good_run >= st.recover_k)
          next = CircuitState::Up;
        else if (rt.samples >= st.recover_k && (rt.down_bits & kmask) == 0 &&
                 (rt.bad_bits & kmask) == kmask)
          next = CircuitState::Degraded;
        break;
      default:
        break;
    }
    // Flap damping: a flapping circuit stays in its outage until it has been quiet for flap_hold.
    if (rt.flapping && next == CircuitState::Up) {
      if (t - rt.last_failure < st.flap_hold)
        next = rt.base == CircuitState::Up ? CircuitState::Down : rt.base;
      else
        rt.flapping = false, rt.outages.clear();
    }
    transition(ci, t, next, raw == 0);
  }

  void sampleAll(const std::vector<std::uint32_t>& list, TimePoint t) {
    for (auto ci : list) sample(ci, t);
  }

  // ---- monitor self-health ---------------------------------------------------------------
  void goBlind(TimePoint t, std::string detail) {
    if (blind) return;
    blind = true;
    blind_detail = std::move(detail);
    EngineEvent e;
    e.kind = EngineEventKind::MonitorBlind;
    e.time = t;
    e.decision.state = CircuitState::Unknown;
    e.decision.location = FaultLocation::MonitorBlind;
    e.decision.party = Party::Undetermined;
    e.decision.rule_id = "monitor-blind";
    e.decision.summary = "monitor blind: " + blind_detail;
    e.decision.next_step =
        "restore the monitor's own uplink or probe host; no circuit fault is raised meanwhile";
    e.decision.evidence.push_back({"monitor", blind_detail, t});
    out.push_back(std::move(e));
    for (std::uint32_t ci = 0; ci < cs.size(); ++ci) {
      auto& rt = cs[ci];
      rt.down_bits = rt.bad_bits = 0;
      rt.samples = rt.good_run = 0;
      if (rt.shown == CircuitState::Unknown) continue;
      const CircuitState from = rt.shown;
      rt.base = rt.shown = CircuitState::Unknown;
      rt.since = t;
      rt.decision = decide(ci, t, CircuitState::Unknown, &rt.rule);
      emitCircuit(ci, t, from, true);
    }
    // Outages still inside their correlation window were most likely the monitor going blind.
    for (auto& [n, inc] : incidents)
      if (inc.open && inc.pending) inc.open = false, inc.resolved = t;
  }

  void recoverSight(TimePoint t, const std::string& detail) {
    if (!blind) return;
    blind = false;
    // Whatever the probes saw while the monitor was blind is not evidence about the circuits.
    for (auto& tg : targets) {
      tg.last = -1;
      tg.fail_bits = 0;
      tg.count = 0;
      tg.streak = 0;
      tg.rtt_sum = 0;
    }
    targets_seen = targets_failing = 0;
    for (auto& d : devs)
      if (d.silent == 1) d.silent = -1;
    blind_from_health = false;
    EngineEvent e;
    e.kind = EngineEventKind::MonitorRecovered;
    e.time = t;
    e.decision.state = CircuitState::Unknown;
    e.decision.location = FaultLocation::MonitorBlind;
    e.decision.party = Party::None;
    e.decision.summary = "monitor can see again: " + detail;
    out.push_back(std::move(e));
  }

  /// "All probes fail at once": every ICMP target's latest probe failed, the failures began
  /// together, and they span more than one aggregation node (a single node failing is a
  /// carrier outage, not blindness).
  void checkAllFail(TimePoint t) {
    if (blind || targets_seen < static_cast<std::uint32_t>(st.blind_min_targets) ||
        targets_failing < targets_seen)
      return;
    TimePoint lo = TimePoint::max(), hi = TimePoint::min();
    std::set<std::uint32_t> nodes;
    bool unmapped = false;
    std::uint32_t considered = 0;
    for (const auto& tg : targets) {
      if (tg.last < 0) continue;
      // Targets whose circuits are all inside an announced window are expected to fail.
      bool covered = !tg.circuits.empty();
      for (auto ci : tg.circuits) covered = covered && maintenanceFor(ci, t) != nullptr;
      if (covered) continue;
      ++considered;
      lo = std::min(lo, tg.fail_since);
      hi = std::max(hi, tg.fail_since);
      for (auto ci : tg.circuits) {
        const auto a = aggOf(ci);
        if (a == kNone)
          unmapped = true;
        else
          nodes.insert(a);
      }
    }
    if (considered < static_cast<std::uint32_t>(st.blind_min_targets) ||
        hi - lo > st.correlation_window)
      return;
    if (nodes.size() == 1 && !unmapped) return;
    goBlind(t, "all " + std::to_string(targets_seen) + " probe targets failed at once");
  }

  // ---- observations ----------------------------------------------------------------------
  void onPoll(const DevicePoll& p) {
    auto it = dev_idx.find(p.device);
    if (it == dev_idx.end()) return;
    auto& d = devs[it->second];
    if (!p.reachable && d.silent != 1) d.silent_since = p.time;
    if (p.reachable) d.silent_since.reset();
    d.silent = p.reachable ? 0 : 1;
    d.poll_time = p.time;
    if (p.reachable) {
      d.last_answer = p.time;
      if (p.sys_uptime) {
        if (p.rebooted || (d.uptime && *p.sys_uptime < *d.uptime)) d.reboot = p.time;
        d.uptime = p.sys_uptime;
      } else if (p.rebooted) {
        d.reboot = p.time;
      }
    }
    sampleAll(d.circuits, p.time);
  }

  void onIface(const InterfaceSample& s) {
    auto it = dev_idx.find(s.device);
    if (it == dev_idx.end()) return;
    auto& d = devs[it->second];
    std::uint16_t idx = 0xffff;
    for (std::size_t i = 0; i < d.ifs.size(); ++i)
      if (d.ifs[i].name == s.if_name) idx = static_cast<std::uint16_t>(i);
    if (idx == 0xffff) return;  // an interface no circuit uses
    auto& f = d.ifs[idx];
    f.seen = true;
    f.admin = s.admin;
    f.oper = s.oper;
    f.time = s.time;
    f.rx_dbm = s.rx_power_dbm ? static_cast<float>(*s.rx_power_dbm) : NAN;
    double u = NAN;
    if (s.in_utilisation) u = *s.in_utilisation;
    if (s.out_utilisation && (std::isnan(u) || *s.out_utilisation > u)) u = *s.out_utilisation;
    f.util = static_cast<float>(u);
    // An interface answer implies the device answered SNMP.
    if (d.silent != 0 || d.poll_time < s.time) {
      d.silent = 0;
      d.silent_since.reset();
      d.poll_time = s.time;
      d.last_answer = s.time;
    }
    std::vector<std::uint32_t> affected;
    for (auto ci : d.circuits) {
      const auto& rt = cs[ci];
      if (rt.uni == idx || std::find(rt.uplinks.begin(), rt.uplinks.end(), idx) != rt.uplinks.end())
        affected.push_back(ci);
    }
    sampleAll(affected, s.time);
  }

  void onTrap(const TrapEvent& e) {
    auto it = dev_idx.find(e.device);
    if (it == dev_idx.end()) return;
    auto& d = devs[it->second];
    switch (e.kind) {
      case TrapKind::DyingGasp:
      case TrapKind::PowerLoss:
        d.gasp = e.time;
        d.gasp_kind = e.kind == TrapKind::DyingGasp ? "dying_gasp" : "power_loss";
        break;
      case TrapKind::ColdStart:
      case TrapKind::WarmStart:
        d.reboot = e.time;
        break;
      case TrapKind::LinkDown:
      case TrapKind::LinkUp:
        for (auto& f : d.ifs)
          if (f.name == e.if_name) {
            f.seen = true;
            f.oper = e.kind == TrapKind::LinkUp ? IfStatus::Up : IfStatus::Down;
            if (f.admin == IfStatus::Unknown) f.admin = IfStatus::Up;
            f.time = e.time;
          }
        break;
      case TrapKind::CfmLoc:
      case TrapKind::CfmLocClear:
        for (auto ci : d.circuits) {
          cs[ci].cfm_loc = e.kind == TrapKind::CfmLoc ? 1 : 0;
          cs[ci].cfm_time = e.time;
        }
        break;
      default:
        break;
    }
    sampleAll(d.circuits, e.time);
  }

  void onReach(const ReachSample& s) {
    auto it = target_idx.find(s.target);
    if (it == target_idx.end()) return;
    auto& tg = targets[it->second];
    const std::int8_t before = tg.last;
    const bool failed = !s.replied;
    tg.fail_bits = static_cast<std::uint16_t>(((tg.fail_bits << 1) | (failed ? 1 : 0)) &
                                              ((1u << st.icmp_window) - 1));
    const std::size_t slot = tg.count < st.icmp_window ? tg.count : st.icmp_window - 1;
    // Keep the RTT ring in step with fail_bits (index 0 newest).
    const int n = std::min<int>(tg.count + 1, st.icmp_window);
    const float evicted = tg.count == st.icmp_window ? tg.rtts[st.icmp_window - 1] : 0.0f;
    for (int i = n - 1; i > 0; --i) tg.rtts[i] = tg.rtts[i - 1];
    (void)slot;
    float rtt = 0;
    if (!failed) {
      if (s.rtt_ms)
        rtt = static_cast<float>(*s.rtt_ms);
      else if (s.rtt)
        rtt = static_cast<float>(s.rtt->count());
    }
    tg.rtts[0] = rtt;
    tg.rtt_sum += rtt - evicted;
    if (tg.count < st.icmp_window) ++tg.count;
    tg.last = failed ? 1 : 0;
    tg.time = s.time;
    if (failed && before != 1) tg.fail_since = s.time;
    // A run of failures long enough to be an outage is accounted as the outage, not as packet
    // loss: without this the loss window would keep a recovered circuit DEGRADED for minutes.
    if (!failed && tg.streak >= st.down_n) tg.fail_bits = 0;
    tg.streak = failed ? static_cast<std::uint8_t>(std::min(tg.streak + 1, 255)) : 0;
    if (before < 0) ++targets_seen;
    if (before == 1 && !failed) --targets_failing;
    if (before != 1 && failed) ++targets_failing;
    if (failed)
      checkAllFail(s.time);
    else if (blind && !blind_from_health)
      recoverSight(s.time, "probe target " + tg.name + " answers");
    sampleAll(tg.circuits, s.time);
  }

  void onCfm(const CfmSample& s) {
    auto it = circuit_idx.find(s.circuit);
    if (it == circuit_idx.end()) return;
    cs[it->second].cfm_loc = s.loss_of_continuity ? 1 : 0;
    cs[it->second].cfm_time = s.time;
    sample(it->second, s.time);
  }

  void onThroughput(const ThroughputSample& s) {
    auto it = circuit_idx.find(s.circuit);
    if (it == circuit_idx.end()) return;
    auto& rt = cs[it->second];
    rt.tp_time = s.time;
    rt.tp_loss = s.loss_ratio ? static_cast<float>(*s.loss_ratio) : NAN;
    rt.tp_delay = s.delay_ms ? static_cast<float>(*s.delay_ms) : NAN;
    const auto& bw = def(it->second).bandwidth_mbps;
    rt.tp_util =
        bw && *bw > 0 ? static_cast<float>(std::max(s.in_bps, s.out_bps) / (*bw * 1e6)) : NAN;
    sample(it->second, s.time);
  }

  void onHealth(const MonitorHealth& h) {
    if (!h.uplink_up || !h.probes_can_send) {
      std::string why =
          !h.uplink_up ? "the monitor's own uplink is down" : "the monitor's probes cannot send";
      if (!h.detail.empty()) why += " (" + h.detail + ")";
      if (!blind) goBlind(h.time, why);
      blind_from_health = true;
    } else if (blind) {
      recoverSight(h.time, h.detail.empty() ? "uplink up" : h.detail);
    }
  }

  void observe(const Observation& o) {
    const TimePoint t = observationTime(o);
    now = std::max(now, t);
    flushLeaves(t - Duration{1});
    closePendingUpTo(t);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, DevicePoll>)
            onPoll(v);
          else if constexpr (std::is_same_v<T, InterfaceSample>)
            onIface(v);
          else if constexpr (std::is_same_v<T, TrapEvent>)
            onTrap(v);
          else if constexpr (std::is_same_v<T, ReachSample>)
            onReach(v);
          else if constexpr (std::is_same_v<T, CfmSample>)
            onCfm(v);
          else if constexpr (std::is_same_v<T, ThroughputSample>)
            onThroughput(v);
          else if constexpr (std::is_same_v<T, MonitorHealth>)
            onHealth(v);
        },
        o);
  }

  void tick(TimePoint t) {
    now = std::max(now, t);
    flushLeaves(t - Duration{1});
    closePendingUpTo(t);
    for (std::uint32_t ci = 0; ci < cs.size(); ++ci) {
      auto& rt = cs[ci];
      if (rt.shown != CircuitState::Unknown && t - rt.last_sample > st.stale_after) {
        rt.down_bits = rt.bad_bits = 0;
        rt.samples = rt.good_run = 0;
        setRawDown(ci, false);
        transition(ci, t, CircuitState::Unknown);
      }
    }
    // Drop long-resolved incidents: they can no longer be re-opened by a flapping child.
    std::erase_if(incidents, [&](const auto& kv) {
      return !kv.second.open && kv.second.resolved && t - *kv.second.resolved > st.flap_window;
    });
  }

  IncidentView view(const Incident& inc) const {
    IncidentView v;
    v.id = inc.id;
    v.root_cause = inc.root;
    v.circuits = keysOf(inc.children);
    v.opened = inc.start;
    v.flapping = inc.flapping;
    v.pending = inc.pending;
    v.decision = inc.decision;
    return v;
  }

  CircuitView cview(std::uint32_t ci) const {
    CircuitView v;
    v.key = def(ci).key;
    v.state = cs[ci].shown;
    v.decision = cs[ci].decision;
    v.decision.state = cs[ci].shown;
    v.flapping = cs[ci].flapping;
    v.since = cs[ci].since;
    if (const Incident* inc = openIncidentOf(ci)) v.incident = inc->id;
    return v;
  }
};

Engine::Engine(const Inventory& inventory, Rules rules, EngineSettings settings)
    : impl_(std::make_unique<Impl>(inventory, std::move(rules), settings)) {}
Engine::~Engine() = default;

void Engine::observe(const Observation& o) { impl_->observe(o); }
void Engine::tick(TimePoint now) { impl_->tick(now); }
void Engine::flush() { impl_->flushLeaves(); }

std::vector<EngineEvent> Engine::drain() {
  std::vector<EngineEvent> out;
  out.swap(impl_->out);
  std::stable_sort(out.begin(), out.end(),
                   [](const EngineEvent& a, const EngineEvent& b) { return a.time < b.time; });
  return out;
}

void Engine::setInventory(const Inventory& inventory) {
  Impl& im = *impl_;
  im.flushLeaves();
  // Keep the runtime state of circuits whose definition (and device) did not change; everything
  // else starts UNKNOWN. Incidents keep their surviving children.
  std::vector<CircuitRt> old_cs = std::move(im.cs);
  std::vector<DeviceRt> old_devs = std::move(im.devs);
  std::vector<TargetRt> old_targets = std::move(im.targets);
  Inventory old_inv = std::move(im.inv);
  std::unordered_map<std::string, std::uint32_t> old_dev_idx = im.dev_idx,
                                                 old_target_idx = im.target_idx;
  im.build(inventory);
  std::vector<std::uint32_t> remap(old_cs.size(), kNone);
  for (std::uint32_t oi = 0; oi < old_inv.circuits.size(); ++oi) {
    auto it = im.circuit_idx.find(old_inv.circuits[oi].key);
    if (it != im.circuit_idx.end()) remap[oi] = it->second;
  }
  for (const auto& od : old_devs) {
    auto it = im.dev_idx.find(od.name);
    if (it == im.dev_idx.end()) continue;
    const Device* nd = im.inv.findDevice(od.name);
    const Device* pd = old_inv.findDevice(od.name);
    if (!nd || !pd || !(*nd == *pd)) continue;
    auto& d = im.devs[it->second];
    d.silent = od.silent;
    d.poll_time = od.poll_time;
    d.last_answer = od.last_answer;
    d.silent_since = od.silent_since;
    d.gasp = od.gasp;
    d.gasp_kind = od.gasp_kind;
    d.reboot = od.reboot;
    d.uptime = od.uptime;
    for (auto& f : d.ifs)
      for (const auto& of : od.ifs)
        if (of.name == f.name) f = of;
  }
  for (auto& tg : im.targets) {
    auto it = old_target_idx.find(tg.name);
    if (it == old_target_idx.end()) continue;
    auto circuits = std::move(tg.circuits);
    tg = old_targets[it->second];
    tg.circuits = std::move(circuits);
  }
  im.targets_seen = im.targets_failing = 0;
  for (const auto& tg : im.targets) {
    if (tg.last >= 0) ++im.targets_seen;
    if (tg.last == 1) ++im.targets_failing;
  }
  for (std::uint32_t oi = 0; oi < old_cs.size(); ++oi) {
    const std::uint32_t ni = remap[oi];
    if (ni == kNone || !(old_inv.circuits[oi] == im.inv.circuits[ni])) continue;
    auto& rt = im.cs[ni];
    const auto& o = old_cs[oi];
    rt.base = o.base;
    rt.shown = o.shown;
    rt.flapping = o.flapping;
    rt.down_bits = o.down_bits;
    rt.bad_bits = o.bad_bits;
    rt.samples = o.samples;
    rt.good_run = o.good_run;
    rt.cfm_loc = o.cfm_loc;
    rt.since = o.since;
    rt.last_sample = o.last_sample;
    rt.last_failure = o.last_failure;
    rt.cfm_time = o.cfm_time;
    rt.tp_time = o.tp_time;
    rt.tp_loss = o.tp_loss;
    rt.tp_delay = o.tp_delay;
    rt.tp_util = o.tp_util;
    rt.outages = o.outages;
    rt.incident = o.incident;
    rt.member = o.member;
    rt.decision = o.decision;
    rt.rule = nullptr;
    im.setRawDown(ni, o.raw_down);
  }
  const TimePoint t = im.now;
  for (auto& [n, inc] : im.incidents) {
    std::vector<std::uint32_t> kept;
    std::vector<std::string> gone;
    for (auto oi : inc.children) {
      const std::uint32_t ni = remap[oi];
      if (ni != kNone && im.cs[ni].incident == n)
        kept.push_back(ni);
      else
        gone.push_back(old_inv.circuits[oi].key);
    }
    inc.children = kept;
    im.reindex(inc);
    if (!inc.open || inc.pending || gone.empty()) continue;
    if (inc.children.empty()) {
      inc.open = false;
      inc.resolved = t;
      im.emitIncident(EngineEventKind::IncidentResolved, inc, t, gone);
    } else {
      inc.root = im.rootOf(inc.children);
      im.decideIncident(inc, t);
      im.emitIncident(EngineEventKind::IncidentSplit, inc, t, gone);
    }
  }
}

std::optional<CircuitView> Engine::circuit(const std::string& key) const {
  auto it = impl_->circuit_idx.find(key);
  if (it == impl_->circuit_idx.end()) return std::nullopt;
  return impl_->cview(it->second);
}

std::vector<CircuitView> Engine::circuits() const {
  std::vector<CircuitView> v;
  v.reserve(impl_->cs.size());
  for (std::uint32_t ci = 0; ci < impl_->cs.size(); ++ci) v.push_back(impl_->cview(ci));
  return v;
}

std::vector<IncidentView> Engine::openIncidents() const {
  std::vector<IncidentView> v;
  for (const auto& [n, inc] : impl_->incidents)
    if (inc.open) v.push_back(impl_->view(inc));
  return v;
}

bool Engine::monitorBlind() const { return impl_->blind; }

std::vector<std::size_t> Engine::stateCounts() const {
  std::vector<std::size_t> c(5, 0);
  for (const auto& rt : impl_->cs) ++c[static_cast<std::size_t>(rt.shown)];
  return c;
}

std::size_t Engine::stateBytesPerCircuit() const {
  const auto& im = *impl_;
  const std::size_t n = std::max<std::size_t>(im.cs.size(), 1);
  std::size_t bytes = im.cs.capacity() * sizeof(CircuitRt) + im.devs.capacity() * sizeof(DeviceRt) +
                      im.targets.capacity() * sizeof(TargetRt) +
                      im.inv.circuits.capacity() * sizeof(Circuit);
  for (const auto& rt : im.cs) bytes += rt.uplinks.capacity() * sizeof(std::uint16_t);
  for (const auto& d : im.devs)
    bytes += d.ifs.capacity() * sizeof(IfState) + d.circuits.capacity() * 4;
  for (const auto& tg : im.targets) bytes += tg.circuits.capacity() * 4;
  // Hash index nodes: key string + value + bucket pointer, roughly.
  bytes += (im.circuit_idx.size() + im.target_idx.size() + im.dev_idx.size()) *
           (sizeof(std::string) + 24);
  return bytes / n;
}

}  // namespace circuitd::engine
