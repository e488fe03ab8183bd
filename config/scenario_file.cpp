#include "config/scenario_file.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "config/toml/reader.hpp"
#include "domain/core/trap_kind.hpp"

namespace circuitd::config {
namespace {

using engine::Expectation;
using engine::Scenario;
using engine::ScenarioStep;
using toml::Reader;

const toml::Keys kTopKeys = {"name",   "description", "start",       "rules", "settings",
                             "device", "circuit",     "maintenance", "event", "expect"};
const toml::Keys kSettingsKeys = {
    "down_n",           "window_m",        "recover_k",        "flap_count",
    "flap_window",      "flap_hold",       "stale_after",      "correlation_window",
    "late_join",        "trap_window",     "reboot_window",    "maintenance_notice",
    "optical_low_dbm",  "optical_los_dbm", "loss_high",        "latency_high_ms",
    "utilisation_high", "icmp_window",     "blind_min_targets"};
const toml::Keys kDeviceKeys = {"name", "site", "aggregation", "address"};
const toml::Keys kCircuitKeys = {
    "key",    "link_id", "row",     "site",           "service",         "bandwidth_mbps",
    "device", "uni",     "uplinks", "carrier_target", "customer_target", "contract"};
const toml::Keys kMaintenanceKeys = {"id",       "start",   "end",           "notified",
                                     "circuits", "devices", "force_majeure", "reference"};
const toml::Keys kEventKeys = {
    "at",       "type",     "repeat",   "every",   "device",   "devices",   "reachable",
    "uptime",   "rebooted", "if",       "admin",   "oper",     "rx_dbm",    "in_util",
    "out_util", "kind",     "target",   "targets", "replied",  "rtt_ms",    "circuit",
    "loc",      "loss",     "delay_ms", "in_mbps", "out_mbps", "uplink_up", "probes_can_send",
    "detail"};
const toml::Keys kExpectKeys = {"at",          "circuit",  "incident",       "incident_of",
                                "state",       "location", "party",          "clause",
                                "rule",        "root",     "flapping",       "next_step",
                                "in_incident", "children", "open_incidents", "event",
                                "count",       "alarms",   "monitor_blind"};

// A replay is a test fixture, not a load generator: bound what one file can ask for.
constexpr std::size_t kMaxObservations = 2'000'000;

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

/// Reads one scenario; every section reports into errors_, and the first error wins.
class ScenarioReader {
 public:
  ScenarioReader(const toml::Document& doc, Errors& errors) : errors_(errors), top_(errors, doc) {
    sc_.origin = doc.file;
  }

  Result<Scenario> run() {
    top_.checkKeys(kTopKeys);
    sc_.name = top_.str("name").value_or("");
    sc_.description = top_.str("description").value_or("");
    sc_.rules_file = top_.str("rules").value_or("");
    if (auto start = top_.str("start", true)) {
      if (auto t = parseIso(*start))
        sc_.start = *t;
      else
        top_.error("start", "bad time '" + *start + "'");
    }
    if (!errors_.empty()) return fail(errors_.front());
    if (auto s = top_.table("settings")) readSettings(*s);
    if (!errors_.empty()) return fail(errors_.front());
    for (const auto& r : top_.tables("device")) readDevice(r);
    if (!errors_.empty()) return fail(errors_.front());
    for (const auto& r : top_.tables("circuit")) readCircuit(r);
    if (!errors_.empty()) return fail(errors_.front());
    for (const auto& r : top_.tables("maintenance")) readMaintenance(r);
    if (!errors_.empty()) return fail(errors_.front());
    for (const auto& r : top_.tables("event")) {
      // A broken event could ask for a huge repetition; stop at its first problem.
      readEvent(r);
      if (!errors_.empty()) return fail(errors_.front());
    }
    if (!errors_.empty()) return fail(errors_.front());
    for (const auto& r : top_.tables("expect")) readExpectation(r);
    if (!errors_.empty()) return fail(errors_.front());
    if (sc_.inventory.circuits.empty()) return fail(sc_.origin, "no [[circuit]]");
    std::stable_sort(sc_.steps.begin(), sc_.steps.end(),
                     [](const auto& a, const auto& b) { return a.time < b.time; });
    std::stable_sort(sc_.expectations.begin(), sc_.expectations.end(),
                     [](const auto& a, const auto& b) { return a.at < b.at; });
    return std::move(sc_);
  }

 private:
  /// A time: "+10m" / "-2d" from start (the one duration grammar, signed), or an ISO instant.
  std::optional<TimePoint> time(const Reader& r, std::string_view key) const {
    const auto v = r.str(key);
    if (!v) return std::nullopt;
    if (!v->empty() && (v->front() == '+' || v->front() == '-')) {
      auto d = toml::parseDuration(*v, toml::Sign::Signed);
      if (!d) {
        r.error(key, "bad offset '" + *v + "' (e.g. \"+90s\", \"+1h30m\", \"-2d\")");
        return std::nullopt;
      }
      return sc_.start + *d;
    }
    auto t = parseIso(*v);
    if (!t) r.error(key, "bad time '" + *v + "'");
    return t;
  }

  /// A device name that must be in the inventory.
  bool knownDevice(const Reader& r, std::string_view key, const std::string& name) const {
    if (sc_.inventory.findDevice(name)) return true;
    r.error(key, "unknown device '" + name + "'");
    return false;
  }

  /// A circuit key that must be in the inventory.
  bool knownCircuit(const Reader& r, std::string_view key, const std::string& name) const {
    if (sc_.inventory.findCircuit(name)) return true;
    r.error(key, "unknown circuit '" + name + "'");
    return false;
  }

  void readSettings(const Reader& r) {
    r.checkKeys(kSettingsKeys);
    auto& st = sc_.settings;
    for (auto [k, dst] : {std::pair<std::string_view, int*>{"down_n", &st.down_n},
                          {"window_m", &st.window_m},
                          {"recover_k", &st.recover_k},
                          {"flap_count", &st.flap_count},
                          {"icmp_window", &st.icmp_window},
                          {"blind_min_targets", &st.blind_min_targets}}) {
      if (auto v = r.integer(k)) {
        if (*v < 1 || *v > 16)
          r.error(k, "must be 1..16");
        else
          *dst = static_cast<int>(*v);
      }
    }
    if (st.down_n > st.window_m) r.error("down_n", "down_n must not exceed window_m");
    for (auto [k, dst] : {std::pair<std::string_view, Duration*>{"flap_window", &st.flap_window},
                          {"flap_hold", &st.flap_hold},
                          {"stale_after", &st.stale_after},
                          {"correlation_window", &st.correlation_window},
                          {"late_join", &st.late_join},
                          {"trap_window", &st.trap_window},
                          {"reboot_window", &st.reboot_window},
                          {"maintenance_notice", &st.maintenance_notice}}) {
      if (auto v = r.duration(k)) *dst = *v;
    }
    for (auto [k, dst] :
         {std::pair<std::string_view, double*>{"optical_low_dbm", &st.optical_low_dbm},
          {"optical_los_dbm", &st.optical_los_dbm},
          {"loss_high", &st.loss_high},
          {"latency_high_ms", &st.latency_high_ms},
          {"utilisation_high", &st.utilisation_high}}) {
      if (auto v = r.number(k)) *dst = *v;
    }
  }

  void readDevice(const Reader& r) {
    r.checkKeys(kDeviceKeys);
    Device d;
    d.name = r.str("name", true).value_or("");
    d.site = r.str("site").value_or("");
    d.aggregation = r.str("aggregation").value_or("");
    d.address = r.str("address").value_or("127.0.0.1");
    if (sc_.inventory.findDevice(d.name)) r.error("name", "duplicate device '" + d.name + "'");
    sc_.inventory.devices.push_back(std::move(d));
  }

  void readCircuit(const Reader& r) {
    r.checkKeys(kCircuitKeys);
    Circuit c;
    c.link_id = r.str("link_id").value_or("");
    c.key = r.str("key").value_or(c.link_id);
    if (c.key.empty()) r.tableError("needs a key or a link_id");
    c.contract = r.str("contract").value_or("XJWLM2405957CGN00");
    c.contract_row = static_cast<int>(r.integer("row").value_or(0));
    c.site = r.str("site").value_or("");
    c.service = r.str("service").value_or("");
    c.bandwidth_mbps = r.number("bandwidth_mbps");
    c.device = r.str("device").value_or("");
    if (!c.device.empty()) knownDevice(r, "device", c.device);
    c.uni_interface = r.str("uni").value_or("");
    c.uplink_interfaces = r.strings("uplinks").value_or(std::vector<std::string>{});
    c.carrier_target = r.str("carrier_target").value_or("");
    c.customer_target = r.str("customer_target").value_or("");
    if (sc_.inventory.findCircuit(c.key)) r.error("key", "duplicate circuit '" + c.key + "'");
    sc_.inventory.circuits.push_back(std::move(c));
  }

  void readMaintenance(const Reader& r) {
    r.checkKeys(kMaintenanceKeys);
    MaintenanceWindow w;
    w.id = r.str("id", true).value_or("");
    const auto start = time(r, "start");
    const auto end = time(r, "end");
    if (!start || !end)
      r.tableError("needs start and end");
    else if (*end <= *start)
      r.error("end", "end must be after start");
    else {
      w.start = *start;
      w.end = *end;
    }
    w.notified_at = time(r, "notified");
    w.circuits = r.strings("circuits").value_or(std::vector<std::string>{});
    for (const auto& k : w.circuits) knownCircuit(r, "circuits", k);
    w.devices = r.strings("devices").value_or(std::vector<std::string>{});
    for (const auto& k : w.devices) knownDevice(r, "devices", k);
    w.force_majeure = r.boolean("force_majeure").value_or(false);
    w.reference = r.str("reference").value_or("");
    sc_.inventory.maintenance.push_back(std::move(w));
  }

  /// A key the event type needs.
  bool need(const Reader& r, const std::string& type, const std::string& v, const char* key) const {
    if (!v.empty()) return true;
    r.tableError("type '" + type + "' needs key '" + key + "'");
    return false;
  }

  void readEvent(const Reader& r) {
    r.checkKeys(kEventKeys);
    const int line = static_cast<int>(r.position().line);
    const auto at = time(r, "at");
    if (!at && !r.has("at")) r.missing("at");
    const std::string type = r.str("type", true).value_or("");
    const auto repeat = r.integer("repeat");
    const auto every = r.duration("every");
    const std::int64_t reps = repeat.value_or(1);
    if (reps < 1 || reps > 100000) r.error("repeat", "must be 1..100000");
    if (reps > 1 && (!every || every->count() <= 0))
      r.error("every", "repeat needs every = \"10s\"");
    if (!errors_.empty()) return;

    // The observation(s) of one instant; several for devices/targets lists.
    std::vector<Observation> base;
    if (type == "poll") {
      const auto device = r.str("device").value_or("");
      auto devices = r.strings("devices").value_or(std::vector<std::string>{});
      if (!device.empty()) devices.insert(devices.begin(), device);
      if (devices.empty()) r.tableError("type 'poll' needs key 'device' or 'devices'");
      const auto reachable = r.boolean("reachable");
      const auto uptime = r.integer("uptime");
      const auto rebooted = r.boolean("rebooted");
      for (const auto& d : devices) {
        if (!knownDevice(r, "device", d)) continue;
        DevicePoll o;
        o.device = d;
        o.reachable = reachable.value_or(true);
        o.error = o.reachable ? "" : "timeout";
        if (uptime) o.sys_uptime = static_cast<std::uint32_t>(*uptime);
        o.rebooted = rebooted.value_or(false);
        base.emplace_back(o);
      }
    } else if (type == "iface") {
      InterfaceSample o;
      o.device = r.str("device").value_or("");
      if (need(r, type, o.device, "device")) knownDevice(r, "device", o.device);
      o.if_name = r.str("if").value_or("");
      need(r, type, o.if_name, "if");
      const auto admin = r.str("admin").value_or("up");
      const auto oper = r.str("oper").value_or("up");
      if (auto s = parseIfStatus(admin))
        o.admin = *s;
      else
        r.error("admin", "unknown status '" + admin + "'");
      if (auto s = parseIfStatus(oper))
        o.oper = *s;
      else
        r.error("oper", "unknown status '" + oper + "'");
      o.rx_power_dbm = r.number("rx_dbm");
      o.in_utilisation = r.number("in_util");
      o.out_utilisation = r.number("out_util");
      base.emplace_back(o);
    } else if (type == "trap") {
      TrapEvent o;
      o.device = r.str("device").value_or("");
      if (need(r, type, o.device, "device")) knownDevice(r, "device", o.device);
      if (auto kind = r.str("kind", true)) {
        if (auto k = parseTrapKind(*kind))
          o.kind = *k;
        else
          r.error("kind", "unknown trap kind '" + *kind + "'");
      }
      o.if_name = r.str("if").value_or("");
      base.emplace_back(o);
    } else if (type == "ping") {
      const auto target = r.str("target").value_or("");
      auto targets = r.strings("targets").value_or(std::vector<std::string>{});
      if (!target.empty()) targets.insert(targets.begin(), target);
      if (targets.empty()) r.tableError("type 'ping' needs key 'target' or 'targets'");
      const auto replied = r.boolean("replied");
      const auto rtt = r.number("rtt_ms");
      for (const auto& x : targets) {
        ReachSample o;
        o.target = x;
        o.replied = replied.value_or(true);
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
      o.circuit = r.str("circuit").value_or("");
      if (need(r, type, o.circuit, "circuit")) knownCircuit(r, "circuit", o.circuit);
      o.mep = "5/" + o.circuit;
      o.loss_of_continuity = r.boolean("loc").value_or(false);
      base.emplace_back(o);
    } else if (type == "throughput") {
      ThroughputSample o;
      o.circuit = r.str("circuit").value_or("");
      if (need(r, type, o.circuit, "circuit")) knownCircuit(r, "circuit", o.circuit);
      o.source = ThroughputSample::Source::ActiveTest;
      o.loss_ratio = r.number("loss");
      o.delay_ms = r.number("delay_ms");
      o.in_bps = r.number("in_mbps").value_or(0) * 1e6;
      o.out_bps = r.number("out_mbps").value_or(0) * 1e6;
      base.emplace_back(o);
    } else if (type == "monitor") {
      MonitorHealth o;
      o.uplink_up = r.boolean("uplink_up").value_or(true);
      o.probes_can_send = r.boolean("probes_can_send").value_or(true);
      o.detail = r.str("detail").value_or("");
      base.emplace_back(o);
    } else if (type != "tick") {
      r.error("type", "unknown type '" + type +
                          "' (poll, iface, trap, ping, cfm, throughput, monitor, tick)");
    }
    if (sc_.steps.size() + static_cast<std::size_t>(reps) * std::max<std::size_t>(base.size(), 1) >
        kMaxObservations)
      r.error("repeat", "the timeline would exceed 2,000,000 observations");
    if (!errors_.empty()) return;
    for (std::int64_t i = 0; i < reps; ++i) {
      const TimePoint when = *at + (every ? *every * i : Duration{0});
      if (base.empty()) sc_.steps.push_back(ScenarioStep{when, std::nullopt, line});
      for (auto o : base) {
        std::visit([&](auto& v) { v.time = when; }, o);
        sc_.steps.push_back(ScenarioStep{when, std::move(o), line});
      }
    }
  }

  void readExpectation(const Reader& r) {
    r.checkKeys(kExpectKeys);
    Expectation e;
    e.line = static_cast<int>(r.position().line);
    const auto at = time(r, "at");
    if (!at && !r.has("at")) r.missing("at");
    if (at) e.at = *at;
    e.circuit = r.str("circuit").value_or("");
    if (!e.circuit.empty()) knownCircuit(r, "circuit", e.circuit);
    e.incident = r.str("incident").value_or("");
    e.incident_of = r.str("incident_of").value_or("");
    if (!e.incident_of.empty()) knownCircuit(r, "incident_of", e.incident_of);
    if (auto s = r.str("state"); s && !s->empty()) {
      e.state = parseCircuitState(*s);
      if (!e.state) r.error("state", "unknown state '" + *s + "'");
    }
    if (auto s = r.str("location"); s && !s->empty()) {
      e.location = parseFaultLocation(*s);
      if (!e.location) r.error("location", "unknown location '" + *s + "'");
    }
    if (auto s = r.str("party"); s && !s->empty()) {
      e.party = parseParty(*s);
      if (!e.party) r.error("party", "unknown party '" + *s + "'");
    }
    e.clause = r.str("clause");
    e.rule = r.str("rule");
    e.root = r.str("root");
    e.next_step = r.str("next_step");
    e.flapping = r.boolean("flapping");
    e.in_incident = r.boolean("in_incident");
    e.monitor_blind = r.boolean("monitor_blind");
    for (auto [k, dst] :
         {std::pair<std::string_view, std::optional<std::size_t>*>{"children", &e.children},
          {"open_incidents", &e.open_incidents},
          {"count", &e.count},
          {"alarms", &e.alarms}}) {
      if (auto v = r.integer(k)) {
        if (*v < 0)
          r.error(k, "must not be negative");
        else
          *dst = static_cast<std::size_t>(*v);
      }
    }
    if (auto s = r.str("event"); s && !s->empty()) {
      e.event = parseEngineEventKind(*s);
      if (!e.event) r.error("event", "unknown event kind '" + *s + "'");
      if (!e.count) r.tableError("event needs count");
    }
    const bool subject_checks = e.state || e.location || e.party || e.clause || e.rule ||
                                e.flapping || e.next_step || e.in_incident || e.children || e.root;
    if (subject_checks && e.circuit.empty() && e.incident.empty() && e.incident_of.empty())
      r.tableError("state/location/party/... need a circuit, incident or incident_of");
    if (!subject_checks && !e.open_incidents && !e.event && !e.alarms && !e.monitor_blind)
      r.tableError("expects nothing");
    sc_.expectations.push_back(std::move(e));
  }

  Errors& errors_;
  Reader top_;
  Scenario sc_;
};

}  // namespace

Result<Scenario> parseScenario(std::string_view text, const std::string& origin) {
  auto doc = toml::parse(text, origin);
  if (!doc) return fail(doc.error());
  Errors errors;
  return ScenarioReader(*doc, errors).run();
}

}  // namespace circuitd::config
