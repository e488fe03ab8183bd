// Scenario loader and runner. toml++ stays in this file; every error names file:line:col and
// the key path, and unknown keys are errors so that a typo never silently weakens a test.
#include "domain/engine/scenario.hpp"

#include "domain/core/trap_kind.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <initializer_list>
#include <sstream>

#include <toml++/toml.h>

namespace circuitd::engine {
namespace {

class Parser {
 public:
  explicit Parser(std::string origin) : origin_(std::move(origin)) {}

  std::string where(const toml::node& n, const std::string& key) const {
    std::ostringstream os;
    os << origin_;
    const auto& r = n.source();
    if (r.begin.line > 0) os << ':' << r.begin.line << ':' << r.begin.column;
    if (!key.empty()) os << ' ' << key;
    return os.str();
  }

  Result<void> checkKeys(const toml::table& t, const std::string& path, std::initializer_list<std::string_view> keys) {
    for (auto&& [k, v] : t) {
      bool ok = false;
      for (auto kk : keys) ok = ok || kk == k.str();
      if (!ok) return fail(where(v, join(path, k.str())), "unknown key");
    }
    return {};
  }

  static std::string join(const std::string& path, std::string_view k) {
    return path.empty() ? std::string(k) : path + "." + std::string(k);
  }

  Result<std::string> str(const toml::table& t, const std::string& path, std::string_view k, bool required,
                          std::string def = "") {
    const toml::node* n = t.get(k);
    if (!n) {
      if (required) return fail(where(t, path), "missing key '" + std::string(k) + "'");
      return def;
    }
    if (!n->is_string()) return fail(where(*n, join(path, k)), "must be a string");
    return n->as_string()->get();
  }

  Result<std::optional<double>> num(const toml::table& t, const std::string& path, std::string_view k) {
    const toml::node* n = t.get(k);
    if (!n) return std::optional<double>{};
    if (auto i = n->as_integer()) return std::optional<double>{static_cast<double>(i->get())};
    if (auto f = n->as_floating_point()) return std::optional<double>{f->get()};
    return fail(where(*n, join(path, k)), "must be a number");
  }

  Result<std::optional<std::int64_t>> integer(const toml::table& t, const std::string& path, std::string_view k) {
    const toml::node* n = t.get(k);
    if (!n) return std::optional<std::int64_t>{};
    if (auto i = n->as_integer()) return std::optional<std::int64_t>{i->get()};
    return fail(where(*n, join(path, k)), "must be an integer");
  }

  Result<std::optional<bool>> boolean(const toml::table& t, const std::string& path, std::string_view k) {
    const toml::node* n = t.get(k);
    if (!n) return std::optional<bool>{};
    if (auto b = n->as_boolean()) return std::optional<bool>{b->get()};
    return fail(where(*n, join(path, k)), "must be true or false");
  }

  Result<std::vector<std::string>> strings(const toml::table& t, const std::string& path, std::string_view k) {
    std::vector<std::string> out;
    const toml::node* n = t.get(k);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) return fail(where(*n, join(path, k)), "must be an array of strings");
    std::size_t i = 0;
    for (auto&& e : *a) {
      if (!e.is_string())
        return fail(where(e, join(path, k) + "[" + std::to_string(i) + "]"), "must be a string");
      out.push_back(e.as_string()->get());
      ++i;
    }
    return out;
  }

  /// Time: "+10m" / "-2d" relative to start, or an ISO instant.
  Result<std::optional<TimePoint>> time(const toml::table& t, const std::string& path, std::string_view k,
                                        TimePoint start) {
    const toml::node* n = t.get(k);
    if (!n) return std::optional<TimePoint>{};
    if (!n->is_string()) return fail(where(*n, join(path, k)), "must be a string (\"+10m\" or an ISO time)");
    const std::string v = n->as_string()->get();
    if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
      auto d = parseDuration(v);
      if (!d) return fail(where(*n, join(path, k)), "bad offset '" + v + "' (e.g. \"+90s\", \"+1h30m\", \"-2d\")");
      return std::optional<TimePoint>{start + *d};
    }
    auto p = parseIso(v);
    if (!p) return fail(where(*n, join(path, k)), "bad time '" + v + "'");
    return std::optional<TimePoint>{*p};
  }

  Result<std::optional<Duration>> duration(const toml::table& t, const std::string& path, std::string_view k) {
    const toml::node* n = t.get(k);
    if (!n) return std::optional<Duration>{};
    if (!n->is_string()) return fail(where(*n, join(path, k)), "must be a duration string such as \"30s\"");
    auto d = parseDuration(n->as_string()->get());
    if (!d || d->count() < 0) return fail(where(*n, join(path, k)), "bad duration '" + n->as_string()->get() + "'");
    return std::optional<Duration>{*d};
  }

  const toml::array* tables(const toml::table& doc, std::string_view k, Result<void>& err) {
    const toml::node* n = doc.get(k);
    if (!n) return nullptr;
    const toml::array* a = n->as_array();
    if (!a || !a->is_array_of_tables()) {
      err = fail(where(*n, std::string(k)), "must be an array of tables ([[" + std::string(k) + "]])");
      return nullptr;
    }
    return a;
  }

  std::string origin_;
};

#define TRY(var, expr)                    \
  auto var##_r = (expr);                  \
  if (!var##_r) return fail(var##_r.error()); \
  auto var = std::move(*var##_r)

#define TRYV(expr)                  \
  do {                              \
    auto _r = (expr);               \
    if (!_r) return fail(_r.error()); \
  } while (0)

std::optional<IfStatus> parseIfStatus(const std::string& s) {
  if (s == "up") return IfStatus::Up;
  if (s == "down") return IfStatus::Down;
  if (s == "testing") return IfStatus::Testing;
  if (s == "dormant") return IfStatus::Dormant;
  if (s == "not_present") return IfStatus::NotPresent;
  if (s == "lower_layer_down") return IfStatus::LowerLayerDown;
  if (s == "unknown") return IfStatus::Unknown;
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parseDuration(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    std::int64_t v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      v = v * 10 + (s[i] - '0');
      if (v > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == 0) return std::nullopt;
    std::size_t j = i;
    while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
    const std::string_view unit = s.substr(i, j - i);
    std::int64_t mult = 0;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60'000;
    else if (unit == "h") mult = 3'600'000;
    else if (unit == "d") mult = 86'400'000;
    else return std::nullopt;
    total += v * mult;
    s.remove_prefix(j);
  }
  return Duration{neg ? -total : total};
}

Result<Scenario> parseScenario(std::string_view text, const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << origin << ':' << e.source().begin.line << ':' << e.source().begin.column;
    return fail(os.str(), std::string(e.description()));
  }
  Parser p(origin);
  Scenario sc;
  sc.origin = origin;
  TRYV(p.checkKeys(doc, "", {"name", "description", "start", "rules", "settings", "device", "circuit",
                             "maintenance", "event", "expect"}));
  TRY(name, p.str(doc, "", "name", false));
  sc.name = name;
  TRY(desc, p.str(doc, "", "description", false));
  sc.description = desc;
  TRY(rules, p.str(doc, "", "rules", false));
  sc.rules_file = rules;
  TRY(start_s, p.str(doc, "", "start", true));
  auto start = parseIso(start_s);
  if (!start) return fail(p.where(*doc.get("start"), "start"), "bad time '" + start_s + "'");
  sc.start = *start;

  if (const toml::node* sn = doc.get("settings")) {
    const toml::table* t = sn->as_table();
    if (!t) return fail(p.where(*sn, "settings"), "must be a table");
    TRYV(p.checkKeys(*t, "settings",
                     {"down_n", "window_m", "recover_k", "flap_count", "flap_window", "flap_hold", "stale_after",
                      "correlation_window", "late_join", "trap_window", "reboot_window", "maintenance_notice",
                      "optical_low_dbm", "optical_los_dbm", "loss_high", "latency_high_ms", "utilisation_high",
                      "icmp_window", "blind_min_targets"}));
    auto& st = sc.settings;
    for (auto [k, dst] : {std::pair<std::string_view, int*>{"down_n", &st.down_n}, {"window_m", &st.window_m},
                          {"recover_k", &st.recover_k}, {"flap_count", &st.flap_count},
                          {"icmp_window", &st.icmp_window}, {"blind_min_targets", &st.blind_min_targets}}) {
      TRY(v, p.integer(*t, "settings", k));
      if (v) {
        if (*v < 1 || *v > 16) return fail(p.where(*t->get(k), "settings." + std::string(k)), "must be 1..16");
        *dst = static_cast<int>(*v);
      }
    }
    if (st.down_n > st.window_m)
      return fail(p.where(*t, "settings.down_n"), "down_n must not exceed window_m");
    for (auto [k, dst] :
         {std::pair<std::string_view, Duration*>{"flap_window", &st.flap_window}, {"flap_hold", &st.flap_hold},
          {"stale_after", &st.stale_after}, {"correlation_window", &st.correlation_window},
          {"late_join", &st.late_join}, {"trap_window", &st.trap_window}, {"reboot_window", &st.reboot_window},
          {"maintenance_notice", &st.maintenance_notice}}) {
      TRY(v, p.duration(*t, "settings", k));
      if (v) *dst = *v;
    }
    for (auto [k, dst] : {std::pair<std::string_view, double*>{"optical_low_dbm", &st.optical_low_dbm},
                          {"optical_los_dbm", &st.optical_los_dbm}, {"loss_high", &st.loss_high},
                          {"latency_high_ms", &st.latency_high_ms}, {"utilisation_high", &st.utilisation_high}}) {
      TRY(v, p.num(*t, "settings", k));
      if (v) *dst = *v;
    }
  }

  Result<void> err;
  if (const toml::array* a = p.tables(doc, "device", err)) {
    std::size_t i = 0;
    for (auto&& n : *a) {
      const auto& t = *n.as_table();
      const std::string path = "device[" + std::to_string(i++) + "]";
      TRYV(p.checkKeys(t, path, {"name", "site", "aggregation", "address"}));
      Device d;
      TRY(nm, p.str(t, path, "name", true));
      d.name = nm;
      TRY(site, p.str(t, path, "site", false));
      d.site = site;
      TRY(agg, p.str(t, path, "aggregation", false));
      d.aggregation = agg;
      TRY(addr, p.str(t, path, "address", false, "127.0.0.1"));
      d.address = addr;
      if (sc.inventory.findDevice(d.name)) return fail(p.where(t, path + ".name"), "duplicate device '" + d.name + "'");
      sc.inventory.devices.push_back(std::move(d));
    }
  }
  if (!err) return fail(err.error());

  if (const toml::array* a = p.tables(doc, "circuit", err)) {
    std::size_t i = 0;
    for (auto&& n : *a) {
      const auto& t = *n.as_table();
      const std::string path = "circuit[" + std::to_string(i++) + "]";
      TRYV(p.checkKeys(t, path, {"key", "link_id", "row", "site", "service", "bandwidth_mbps", "device", "uni",
                                 "uplinks", "carrier_target", "customer_target", "contract"}));
      Circuit c;
      TRY(link, p.str(t, path, "link_id", false));
      c.link_id = link;
      TRY(key, p.str(t, path, "key", false, link));
      c.key = key;
      if (c.key.empty()) return fail(p.where(t, path), "needs a key or a link_id");
      TRY(contract, p.str(t, path, "contract", false, "XJWLM2405957CGN00"));
      c.contract = contract;
      TRY(row, p.integer(t, path, "row"));
      c.contract_row = static_cast<int>(row.value_or(0));
      TRY(site, p.str(t, path, "site", false));
      c.site = site;
      TRY(service, p.str(t, path, "service", false));
      c.service = service;
      TRY(bw, p.num(t, path, "bandwidth_mbps"));
      c.bandwidth_mbps = bw;
      TRY(dev, p.str(t, path, "device", false));
      c.device = dev;
      if (!c.device.empty() && !sc.inventory.findDevice(c.device))
        return fail(p.where(*t.get("device"), path + ".device"), "unknown device '" + c.device + "'");
      TRY(uni, p.str(t, path, "uni", false));
      c.uni_interface = uni;
      TRY(ups, p.strings(t, path, "uplinks"));
      c.uplink_interfaces = ups;
      TRY(ct, p.str(t, path, "carrier_target", false));
      c.carrier_target = ct;
      TRY(cu, p.str(t, path, "customer_target", false));
      c.customer_target = cu;
      if (sc.inventory.findCircuit(c.key)) return fail(p.where(t, path + ".key"), "duplicate circuit '" + c.key + "'");
      sc.inventory.circuits.push_back(std::move(c));
    }
  }
  if (!err) return fail(err.error());

  if (const toml::array* a = p.tables(doc, "maintenance", err)) {
    std::size_t i = 0;
    for (auto&& n : *a) {
      const auto& t = *n.as_table();
      const std::string path = "maintenance[" + std::to_string(i++) + "]";
      TRYV(p.checkKeys(t, path, {"id", "start", "end", "notified", "circuits", "devices", "force_majeure", "reference"}));
      MaintenanceWindow w;
      TRY(id, p.str(t, path, "id", true));
      w.id = id;
      TRY(ws, p.time(t, path, "start", sc.start));
      TRY(we, p.time(t, path, "end", sc.start));
      if (!ws || !we) return fail(p.where(t, path), "needs start and end");
      if (*we <= *ws) return fail(p.where(*t.get("end"), path + ".end"), "end must be after start");
      w.start = *ws;
      w.end = *we;
      TRY(nt, p.time(t, path, "notified", sc.start));
      w.notified_at = nt;
      TRY(cl, p.strings(t, path, "circuits"));
      for (const auto& k : cl)
        if (!sc.inventory.findCircuit(k)) return fail(p.where(*t.get("circuits"), path + ".circuits"), "unknown circuit '" + k + "'");
      w.circuits = cl;
      TRY(dl, p.strings(t, path, "devices"));
      for (const auto& k : dl)
        if (!sc.inventory.findDevice(k)) return fail(p.where(*t.get("devices"), path + ".devices"), "unknown device '" + k + "'");
      w.devices = dl;
      TRY(fm, p.boolean(t, path, "force_majeure"));
      w.force_majeure = fm.value_or(false);
      TRY(ref, p.str(t, path, "reference", false));
      w.reference = ref;
      sc.inventory.maintenance.push_back(std::move(w));
    }
  }
  if (!err) return fail(err.error());

  if (const toml::array* a = p.tables(doc, "event", err)) {
    std::size_t i = 0;
    for (auto&& n : *a) {
      const auto& t = *n.as_table();
      const std::string path = "event[" + std::to_string(i++) + "]";
      const int line = static_cast<int>(t.source().begin.line);
      TRYV(p.checkKeys(t, path, {"at", "type", "repeat", "every", "device", "devices", "reachable", "uptime",
                                 "rebooted", "if", "admin", "oper", "rx_dbm", "in_util", "out_util", "kind", "target",
                                 "targets", "replied", "rtt_ms", "circuit", "loc", "loss", "delay_ms", "in_mbps",
                                 "out_mbps", "uplink_up", "probes_can_send", "detail"}));
      TRY(at, p.time(t, path, "at", sc.start));
      if (!at) return fail(p.where(t, path), "missing key 'at'");
      TRY(type, p.str(t, path, "type", true));
      TRY(repeat, p.integer(t, path, "repeat"));
      TRY(every, p.duration(t, path, "every"));
      const std::int64_t reps = repeat.value_or(1);
      if (reps < 1 || reps > 100000) return fail(p.where(t, path + ".repeat"), "must be 1..100000");
      if (reps > 1 && (!every || every->count() <= 0)) return fail(p.where(t, path + ".every"), "repeat needs every = \"10s\"");
      // Build the observation(s) for one instant; several for devices/targets lists.
      std::vector<Observation> base;
      auto need = [&](const std::string& v, const char* k) -> Result<void> {
        if (v.empty()) return fail(p.where(t, path), std::string("type '") + type + "' needs key '" + k + "'");
        return {};
      };
      if (type == "poll") {
        TRY(dev, p.str(t, path, "device", false));
        TRY(devl, p.strings(t, path, "devices"));
        if (!dev.empty()) devl.insert(devl.begin(), dev);
        if (devl.empty()) return fail(p.where(t, path), "type 'poll' needs key 'device' or 'devices'");
        TRY(reach, p.boolean(t, path, "reachable"));
        TRY(up, p.integer(t, path, "uptime"));
        TRY(reb, p.boolean(t, path, "rebooted"));
        for (const auto& d : devl) {
          if (!sc.inventory.findDevice(d)) return fail(p.where(t, path + ".device"), "unknown device '" + d + "'");
          DevicePoll o;
          o.device = d;
          o.reachable = reach.value_or(true);
          o.error = o.reachable ? "" : "timeout";
          if (up) o.sys_uptime = static_cast<std::uint32_t>(*up);
          o.rebooted = reb.value_or(false);
          base.emplace_back(o);
        }
      } else if (type == "iface") {
        InterfaceSample o;
        TRY(dev, p.str(t, path, "device", false));
        TRYV(need(dev, "device"));
        if (!sc.inventory.findDevice(dev)) return fail(p.where(t, path + ".device"), "unknown device '" + dev + "'");
        o.device = dev;
        TRY(ifn, p.str(t, path, "if", false));
        TRYV(need(ifn, "if"));
        o.if_name = ifn;
        TRY(admin, p.str(t, path, "admin", false, "up"));
        TRY(oper, p.str(t, path, "oper", false, "up"));
        auto a1 = parseIfStatus(admin);
        if (!a1) return fail(p.where(*t.get("admin"), path + ".admin"), "unknown status '" + admin + "'");
        auto o1 = parseIfStatus(oper);
        if (!o1) return fail(p.where(*t.get("oper"), path + ".oper"), "unknown status '" + oper + "'");
        o.admin = *a1;
        o.oper = *o1;
        TRY(rx, p.num(t, path, "rx_dbm"));
        o.rx_power_dbm = rx;
        TRY(iu, p.num(t, path, "in_util"));
        o.in_utilisation = iu;
        TRY(ou, p.num(t, path, "out_util"));
        o.out_utilisation = ou;
        base.emplace_back(o);
      } else if (type == "trap") {
        TrapEvent o;
        TRY(dev, p.str(t, path, "device", false));
        TRYV(need(dev, "device"));
        if (!sc.inventory.findDevice(dev)) return fail(p.where(t, path + ".device"), "unknown device '" + dev + "'");
        o.device = dev;
        TRY(kind, p.str(t, path, "kind", true));
        auto k = parseTrapKind(kind);
        if (!k) return fail(p.where(*t.get("kind"), path + ".kind"), "unknown trap kind '" + kind + "'");
        o.kind = *k;
        TRY(ifn, p.str(t, path, "if", false));
        o.if_name = ifn;
        base.emplace_back(o);
      } else if (type == "ping") {
        TRY(tg, p.str(t, path, "target", false));
        TRY(tgl, p.strings(t, path, "targets"));
        if (!tg.empty()) tgl.insert(tgl.begin(), tg);
        if (tgl.empty()) return fail(p.where(t, path), "type 'ping' needs key 'target' or 'targets'");
        TRY(rep, p.boolean(t, path, "replied"));
        TRY(rtt, p.num(t, path, "rtt_ms"));
        for (const auto& x : tgl) {
          ReachSample o;
          o.target = x;
          o.replied = rep.value_or(true);
          if (o.replied) {
            o.rtt_ms = rtt.value_or(2.0);
            o.rtt = Duration{static_cast<std::int64_t>(*o.rtt_ms)};
          } else {
            o.error = "timeout";
          }
          base.emplace_back(o);
        }
      } else if (type == "cfm") {
        CfmSample o;
        TRY(c, p.str(t, path, "circuit", false));
        TRYV(need(c, "circuit"));
        if (!sc.inventory.findCircuit(c)) return fail(p.where(t, path + ".circuit"), "unknown circuit '" + c + "'");
        o.circuit = c;
        o.mep = "5/" + c;
        TRY(loc, p.boolean(t, path, "loc"));
        o.loss_of_continuity = loc.value_or(false);
        base.emplace_back(o);
      } else if (type == "throughput") {
        ThroughputSample o;
        TRY(c, p.str(t, path, "circuit", false));
        TRYV(need(c, "circuit"));
        if (!sc.inventory.findCircuit(c)) return fail(p.where(t, path + ".circuit"), "unknown circuit '" + c + "'");
        o.circuit = c;
        o.source = ThroughputSample::Source::ActiveTest;
        TRY(loss, p.num(t, path, "loss"));
        o.loss_ratio = loss;
        TRY(delay, p.num(t, path, "delay_ms"));
        o.delay_ms = delay;
        TRY(in, p.num(t, path, "in_mbps"));
        TRY(outm, p.num(t, path, "out_mbps"));
        o.in_bps = in.value_or(0) * 1e6;
        o.out_bps = outm.value_or(0) * 1e6;
        base.emplace_back(o);
      } else if (type == "monitor") {
        MonitorHealth o;
        TRY(up, p.boolean(t, path, "uplink_up"));
        TRY(cs, p.boolean(t, path, "probes_can_send"));
        TRY(detail, p.str(t, path, "detail", false));
        o.uplink_up = up.value_or(true);
        o.probes_can_send = cs.value_or(true);
        o.detail = detail;
        base.emplace_back(o);
      } else if (type != "tick") {
        return fail(p.where(*t.get("type"), path + ".type"),
                    "unknown type '" + type + "' (poll, iface, trap, ping, cfm, throughput, monitor, tick)");
      }
      // A replay is a test fixture, not a load generator: bound what one file can ask for.
      if (sc.steps.size() + static_cast<std::size_t>(reps) * std::max<std::size_t>(base.size(), 1) > 2'000'000)
        return fail(p.where(t, path + ".repeat"), "the timeline would exceed 2,000,000 observations");
      for (std::int64_t r = 0; r < reps; ++r) {
        const TimePoint when = *at + (every ? *every * r : Duration{0});
        if (base.empty()) sc.steps.push_back(ScenarioStep{when, std::nullopt, line});
        for (auto o : base) {
          std::visit([&](auto& v) { v.time = when; }, o);
          sc.steps.push_back(ScenarioStep{when, std::move(o), line});
        }
      }
    }
  }
  if (!err) return fail(err.error());

  if (const toml::array* a = p.tables(doc, "expect", err)) {
    std::size_t i = 0;
    for (auto&& n : *a) {
      const auto& t = *n.as_table();
      const std::string path = "expect[" + std::to_string(i++) + "]";
      TRYV(p.checkKeys(t, path, {"at", "circuit", "incident", "incident_of", "state", "location", "party", "clause",
                                 "rule", "root", "flapping", "next_step", "in_incident", "children", "open_incidents",
                                 "event", "count", "alarms", "monitor_blind"}));
      Expectation e;
      e.line = static_cast<int>(t.source().begin.line);
      TRY(at, p.time(t, path, "at", sc.start));
      if (!at) return fail(p.where(t, path), "missing key 'at'");
      e.at = *at;
      TRY(c, p.str(t, path, "circuit", false));
      if (!c.empty() && !sc.inventory.findCircuit(c)) return fail(p.where(*t.get("circuit"), path + ".circuit"), "unknown circuit '" + c + "'");
      e.circuit = c;
      TRY(inc, p.str(t, path, "incident", false));
      e.incident = inc;
      TRY(incof, p.str(t, path, "incident_of", false));
      if (!incof.empty() && !sc.inventory.findCircuit(incof))
        return fail(p.where(*t.get("incident_of"), path + ".incident_of"), "unknown circuit '" + incof + "'");
      e.incident_of = incof;
      TRY(state, p.str(t, path, "state", false));
      if (!state.empty()) {
        e.state = parseCircuitState(state);
        if (!e.state) return fail(p.where(*t.get("state"), path + ".state"), "unknown state '" + state + "'");
      }
      TRY(loc, p.str(t, path, "location", false));
      if (!loc.empty()) {
        e.location = parseFaultLocation(loc);
        if (!e.location) return fail(p.where(*t.get("location"), path + ".location"), "unknown location '" + loc + "'");
      }
      TRY(party, p.str(t, path, "party", false));
      if (!party.empty()) {
        e.party = parseParty(party);
        if (!e.party) return fail(p.where(*t.get("party"), path + ".party"), "unknown party '" + party + "'");
      }
      if (t.get("clause")) { TRY(v, p.str(t, path, "clause", true)); e.clause = v; }
      if (t.get("rule")) { TRY(v, p.str(t, path, "rule", true)); e.rule = v; }
      if (t.get("root")) { TRY(v, p.str(t, path, "root", true)); e.root = v; }
      if (t.get("next_step")) { TRY(v, p.str(t, path, "next_step", true)); e.next_step = v; }
      TRY(fl, p.boolean(t, path, "flapping"));
      e.flapping = fl;
      TRY(ii, p.boolean(t, path, "in_incident"));
      e.in_incident = ii;
      TRY(mb, p.boolean(t, path, "monitor_blind"));
      e.monitor_blind = mb;
      for (auto [k, dst] : {std::pair<std::string_view, std::optional<std::size_t>*>{"children", &e.children},
                            {"open_incidents", &e.open_incidents}, {"count", &e.count}, {"alarms", &e.alarms}}) {
        TRY(v, p.integer(t, path, k));
        if (v) {
          if (*v < 0) return fail(p.where(*t.get(k), path + "." + std::string(k)), "must not be negative");
          *dst = static_cast<std::size_t>(*v);
        }
      }
      TRY(ev, p.str(t, path, "event", false));
      if (!ev.empty()) {
        e.event = parseEngineEventKind(ev);
        if (!e.event) return fail(p.where(*t.get("event"), path + ".event"), "unknown event kind '" + ev + "'");
        if (!e.count) return fail(p.where(t, path), "event needs count");
      }
      const bool subject_checks = e.state || e.location || e.party || e.clause || e.rule || e.flapping ||
                                  e.next_step || e.in_incident || e.children || e.root;
      if (subject_checks && e.circuit.empty() && e.incident.empty() && e.incident_of.empty())
        return fail(p.where(t, path), "state/location/party/... need a circuit, incident or incident_of");
      if (!subject_checks && !e.open_incidents && !e.event && !e.alarms && !e.monitor_blind)
        return fail(p.where(t, path), "expects nothing");
      sc.expectations.push_back(std::move(e));
    }
  }
  if (!err) return fail(err.error());
  if (sc.inventory.circuits.empty()) return fail(origin, "no [[circuit]]");
  std::stable_sort(sc.steps.begin(), sc.steps.end(), [](auto& a, auto& b) { return a.time < b.time; });
  std::stable_sort(sc.expectations.begin(), sc.expectations.end(), [](auto& a, auto& b) { return a.at < b.at; });
  return sc;
}

namespace {

bool isOutage(CircuitState s) {
  return s == CircuitState::Down || s == CircuitState::Degraded || s == CircuitState::Maintenance;
}

std::size_t countAlarms(const std::vector<EngineEvent>& ev) {
  std::size_t n = 0;
  for (const auto& e : ev) {
    if (e.kind == EngineEventKind::IncidentOpened || e.kind == EngineEventKind::MonitorBlind) ++n;
    if (e.kind == EngineEventKind::CircuitStateChanged && !e.suppressed && isOutage(e.decision.state)) ++n;
  }
  return n;
}

void checkDecision(const Expectation& x, const Decision& d, std::vector<std::string>& bad) {
  if (x.location && *x.location != d.location)
    bad.push_back("location " + std::string(toString(*x.location)) + " != " + std::string(toString(d.location)));
  if (x.party && *x.party != d.party)
    bad.push_back("party " + std::string(toString(*x.party)) + " != " + std::string(toString(d.party)));
  if (x.clause && *x.clause != d.clause) bad.push_back("clause '" + *x.clause + "' != '" + d.clause + "'");
  if (x.rule && *x.rule != d.rule_id) bad.push_back("rule '" + *x.rule + "' != '" + d.rule_id + "'");
  if (x.next_step && d.next_step.find(*x.next_step) == std::string::npos)
    bad.push_back("next_step lacks '" + *x.next_step + "' (is '" + d.next_step + "')");
}

ExpectationResult check(const Expectation& x, const Engine& eng, const std::vector<EngineEvent>& events,
                        const std::string& origin) {
  std::vector<std::string> bad;
  std::string subject;
  if (!x.circuit.empty() && x.incident.empty() && x.incident_of.empty()) {
    subject = x.circuit;
    auto c = eng.circuit(x.circuit);
    if (x.state && *x.state != c->state)
      bad.push_back("state " + std::string(toString(*x.state)) + " != " + std::string(toString(c->state)));
    if (x.flapping && *x.flapping != c->flapping) bad.push_back(std::string("flapping ") + (c->flapping ? "true" : "false"));
    if (x.in_incident && *x.in_incident != !c->incident.empty())
      bad.push_back(c->incident.empty() ? "not in an incident" : "in incident " + c->incident);
    checkDecision(x, c->decision, bad);
  }
  if (!x.incident.empty() || !x.incident_of.empty()) {
    auto open = eng.openIncidents();
    const IncidentView* found = nullptr;
    for (const auto& i : open) {
      if (!x.incident.empty() && i.root_cause == x.incident) found = &i;
      if (!x.incident_of.empty() &&
          std::find(i.circuits.begin(), i.circuits.end(), x.incident_of) != i.circuits.end())
        found = &i;
    }
    subject = x.incident.empty() ? "incident of " + x.incident_of : "incident " + x.incident;
    if (!found) {
      std::string roots;
      for (const auto& i : open) roots += (roots.empty() ? "" : ", ") + i.root_cause + (i.pending ? " (pending)" : "");
      bad.push_back("no such open incident (open: " + (roots.empty() ? std::string("none") : roots) + ")");
    } else {
      if (x.root && *x.root != found->root_cause) bad.push_back("root '" + *x.root + "' != '" + found->root_cause + "'");
      if (x.children && *x.children != found->circuits.size())
        bad.push_back("children " + std::to_string(*x.children) + " != " + std::to_string(found->circuits.size()));
      if (x.flapping && *x.flapping != found->flapping) bad.push_back(std::string("flapping ") + (found->flapping ? "true" : "false"));
      if (x.state && *x.state != found->decision.state)
        bad.push_back("state " + std::string(toString(*x.state)) + " != " + std::string(toString(found->decision.state)));
      if (x.circuit.size() && std::find(found->circuits.begin(), found->circuits.end(), x.circuit) == found->circuits.end())
        bad.push_back("circuit " + x.circuit + " not a child");
      checkDecision(x, found->decision, bad);
    }
  }
  if (x.open_incidents) {
    auto open = eng.openIncidents();
    if (*x.open_incidents != open.size())
      bad.push_back("open_incidents " + std::to_string(*x.open_incidents) + " != " + std::to_string(open.size()));
  }
  if (x.event) {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == *x.event ? 1 : 0;
    if (n != *x.count)
      bad.push_back(std::string(toString(*x.event)) + " count " + std::to_string(*x.count) + " != " + std::to_string(n));
  }
  if (x.alarms && *x.alarms != countAlarms(events))
    bad.push_back("alarms " + std::to_string(*x.alarms) + " != " + std::to_string(countAlarms(events)));
  if (x.monitor_blind && *x.monitor_blind != eng.monitorBlind())
    bad.push_back(std::string("monitor_blind ") + (eng.monitorBlind() ? "true" : "false"));
  ExpectationResult r;
  r.expectation = x;
  r.ok = bad.empty();
  std::string msg = origin + ":" + std::to_string(x.line) + " at " + formatIso(x.at) + (subject.empty() ? "" : " " + subject);
  if (bad.empty()) {
    r.message = msg + ": ok";
  } else {
    msg += ": expected ";
    for (std::size_t i = 0; i < bad.size(); ++i) msg += (i ? "; " : "") + bad[i];
    r.message = msg;
  }
  return r;
}

}  // namespace

ReplayResult runScenario(const Scenario& s, const Rules& rules) {
  ReplayResult res;
  Engine eng(s.inventory, rules, s.settings);
  res.start = s.start;
  res.end = s.start;
  auto pump = [&] {
    auto ev = eng.drain();
    res.events.insert(res.events.end(), std::make_move_iterator(ev.begin()), std::make_move_iterator(ev.end()));
  };
  std::size_t xi = 0;
  auto checkUpTo = [&](TimePoint t, bool inclusive) {
    while (xi < s.expectations.size() && (s.expectations[xi].at < t || (inclusive && s.expectations[xi].at == t))) {
      eng.tick(s.expectations[xi].at);
      eng.flush();
      pump();
      res.checks.push_back(check(s.expectations[xi], eng, res.events, s.origin));
      ++xi;
    }
  };
  for (const auto& st : s.steps) {
    checkUpTo(st.time, false);
    eng.tick(st.time);
    if (st.observation) eng.observe(*st.observation);
    pump();
    res.end = std::max(res.end, st.time);
  }
  checkUpTo(TimePoint::max(), true);
  if (!s.expectations.empty()) res.end = std::max(res.end, s.expectations.back().at);
  eng.tick(res.end);
  eng.flush();
  pump();
  res.open_at_end = eng.openIncidents();
  res.circuits_at_end = eng.circuits();
  return res;
}

namespace {

std::string offset(TimePoint start, TimePoint t) {
  auto ms = (t - start).count();
  const char sign = ms < 0 ? '-' : '+';
  if (ms < 0) ms = -ms;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%c%02lld:%02lld:%02lld", sign, static_cast<long long>(ms / 3600000),
                static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60));
  return buf;
}

std::string decisionLine(const Decision& d) {
  std::string s = std::string(toString(d.location)) + " / " + std::string(toString(d.party));
  if (!d.clause.empty()) s += " / clause " + d.clause;
  if (!d.rule_id.empty()) s += " [" + d.rule_id + "]";
  return s;
}

}  // namespace

std::string renderTimeline(const Scenario& s, const ReplayResult& r, bool verbose) {
  std::ostringstream os;
  os << "scenario " << (s.name.empty() ? s.origin : s.name) << "\n";
  if (!s.description.empty()) os << "  " << s.description << "\n";
  os << "  start " << formatIso(r.start) << ", " << s.inventory.circuits.size() << " circuits, "
     << s.inventory.devices.size() << " devices, " << s.steps.size() << " observations\n\n";
  std::size_t quiet = 0;
  for (const auto& e : r.events) {
    // Circuits coming up from no data at the start are noise unless asked for.
    if (!verbose && e.kind == EngineEventKind::CircuitStateChanged && e.from == CircuitState::Unknown &&
        e.decision.state == CircuitState::Up) {
      ++quiet;
      continue;
    }
    os << offset(r.start, e.time) << "  ";
    switch (e.kind) {
      case EngineEventKind::CircuitStateChanged:
        os << "circuit " << e.circuit << ": " << (e.from ? toString(*e.from) : "?") << " -> "
           << toString(e.decision.state);
        if (e.decision.state != CircuitState::Up) os << "  " << decisionLine(e.decision);
        if (e.flapping) os << "  FLAPPING";
        if (e.suppressed) os << "  (no alarm" << (e.incident.empty() ? "" : ": in " + e.incident) << ")";
        break;
      case EngineEventKind::MonitorBlind:
      case EngineEventKind::MonitorRecovered:
        os << toString(e.kind) << ": " << e.decision.summary;
        break;
      default:
        os << toString(e.kind) << " " << e.incident << " root " << (e.root_cause.empty() ? "-" : e.root_cause) << " ("
           << e.circuits.size() << " circuits)";
        if (!e.removed.empty()) {
          os << " removed";
          for (const auto& k : e.removed) os << ' ' << k;
        }
        if (!e.split_from.empty()) os << " split from " << e.split_from;
        if (e.flapping) os << "  FLAPPING";
        if (e.kind != EngineEventKind::IncidentResolved) os << "\n            " << decisionLine(e.decision);
        break;
    }
    os << "\n";
    const bool show = e.kind != EngineEventKind::CircuitStateChanged || verbose;
    if (show && e.kind != EngineEventKind::IncidentResolved && e.kind != EngineEventKind::MonitorRecovered) {
      if (!e.decision.summary.empty() && e.kind != EngineEventKind::MonitorBlind)
        os << "            " << e.decision.summary << "\n";
      if (!e.decision.next_step.empty()) os << "            next step: " << e.decision.next_step << "\n";
    }
    if (verbose)
      for (const auto& ev : e.decision.evidence) os << "              - " << ev.name << ": " << ev.value << "\n";
  }
  if (quiet) os << "(" << quiet << " circuits came up from no data; -v shows them)\n";
  os << "\nat end (" << offset(r.start, r.end) << "):\n";
  for (const auto& c : r.circuits_at_end) {
    os << "  " << c.key << "  " << toString(c.state);
    if (c.state != CircuitState::Up) os << "  " << decisionLine(c.decision);
    if (c.flapping) os << "  FLAPPING";
    os << "\n";
  }
  for (const auto& i : r.open_at_end)
    os << "  open incident " << i.id << " root " << i.root_cause << " (" << i.circuits.size() << " circuits) "
       << decisionLine(i.decision) << "\n";
  if (!r.checks.empty()) {
    std::size_t ok = 0;
    for (const auto& c : r.checks) ok += c.ok ? 1 : 0;
    os << "\nexpectations: " << ok << "/" << r.checks.size() << " met\n";
    for (const auto& c : r.checks)
      if (!c.ok) os << "  FAILED " << c.message << "\n";
  }
  return os.str();
}

}  // namespace circuitd::engine
