#include "config/config.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

#include "config/toml/reader.hpp"
#include "config/values.hpp"

namespace circuitd::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using toml::didYouMean;
using toml::Keys;

const Keys kTopLevelKeys = {"include", "daemon",  "store",    "http",       "notify",
                            "device",  "circuit", "topology", "maintenance"};
const Keys kDaemonKeys = {"state_dir",         "log_level",
                          "trap_listen",       "trap_communities",
                          "capture_interface", "profiles_dir",
                          "rules_file",        "monitor_target",
                          "max_in_flight",     "max_in_flight_per_device",
                          "snmp_start_grid",   "icmp_send_quantum"};
const Keys kStoreKeys = {"backend", "path"};
const Keys kHttpKeys = {"enabled", "listen", "client_timeout", "max_connections"};
const Keys kNotifyKeys = {"name", "kind", "url", "secret", "command", "timeout", "generator_url"};
const Keys kNotifyKinds = {"alertmanager", "webhook", "exec"};
const Keys kDeviceKeys = {"name",          "address", "port",           "site",
                          "aggregation",   "profile", "if_name_source", "interfaces",
                          "poll_interval", "timeout", "retries",        "snmp"};
const Keys kSnmpKeys = {"version",  "community",     "user",    "auth_protocol",
                        "auth_key", "priv_protocol", "priv_key"};
const Keys kTopologyFieldKeys = {
    "device",          "uni_interface",  "uplink_interfaces", "carrier_target",
    "customer_target", "probe_interval", "criticality",       "vlan",
    "prefix",          "reflector"};
const Keys kCircuitOwnKeys = {"key",        "link_id",    "contract",       "row",
                              "site",       "service",    "bandwidth_mbps", "monthly_fee",
                              "annual_fee", "term_start", "term_end",       "review"};
const Keys kMaintenanceKeys = {"id",       "start",   "end",           "notified_at",
                               "circuits", "devices", "force_majeure", "reference"};
const Keys kLogLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};

Keys concat(const Keys& a, const Keys& b) {
  Keys r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

std::string quoteList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + fmt::format("'{}'", s);
  return out;
}

/// The generic TOML reader plus the configuration's own value formats: probe addresses,
/// "addr:port", calendar dates and paths relative to the file that sets them.
class ConfigReader : public toml::Reader {
 public:
  ConfigReader(const toml::Reader& r) : toml::Reader(r) {}  // NOLINT(implicit)

  /// An IP literal (ICMP probe targets).
  std::optional<std::string> ip(std::string_view key) const {
    auto s = str(key);
    if (s && !isIpLiteral(*s)) {
      error(key, fmt::format("'{}' is not an IPv4 or IPv6 address", *s));
      return std::nullopt;
    }
    return s;
  }
  /// "addr:port" with an IP literal; "" accepted when allow_empty.
  std::optional<std::string> hostPort(std::string_view key, bool allow_empty,
                                      bool allow_zero) const {
    auto s = str(key);
    if (!s || (allow_empty && s->empty())) return s;
    auto hp = parseHostPort(*s, allow_zero);
    if (!hp) {
      error(key, hp.error().what);
      return std::nullopt;
    }
    return s;
  }
  /// A date "YYYY-MM-DD": a TOML local date or a string.
  std::optional<std::string> date(std::string_view key) const {
    const auto* v = value(key);
    if (!v) return std::nullopt;
    if (const auto* d = v->date())
      return fmt::format("{:04}-{:02}-{:02}", d->year, d->month, d->day);
    if (const auto* s = v->string()) {
      if (parseIsoDate(*s)) return *s;
      error(key, fmt::format("'{}' is not a date (write YYYY-MM-DD)", *s));
      return std::nullopt;
    }
    typeError(key, *v, "a date (YYYY-MM-DD)");
    return std::nullopt;
  }
  /// A path; relative paths resolve against the directory of the file that sets them.
  std::optional<std::string> filePath(std::string_view key) const {
    auto s = str(key);
    if (!s || s->empty()) return s;
    fs::path p(*s);
    if (p.is_relative()) p = fs::absolute(fs::path(file()).parent_path() / p);
    return p.lexically_normal().string();
  }
};

/// Topology keys of one circuit, from [[circuit]] or [[topology]], with where each was set.
struct TopologyFields {
  std::map<std::string, std::string> set;  ///< key -> "file:line:col path"
  std::string device, uni_interface, carrier_target, customer_target, prefix, reflector;
  std::vector<std::string> uplink_interfaces;
  std::optional<Duration> probe_interval;
  std::optional<Criticality> criticality;
  std::optional<std::uint16_t> vlan;
};

struct NotifyRecord {
  NotifyChannel channel;
  std::string where;
  std::string name_where;
};

struct DeviceRecord {
  Device device;
  std::string where;  ///< the [[device]] table
  std::string name_where;
  std::string profile_where;
};

struct CircuitRecord {
  Circuit circuit;
  std::string where;
  std::string key_where;
  std::string link_where;
  bool explicit_key = false;
  TopologyFields topology;
};

struct TopologyRecord {
  std::string circuit;
  std::string circuit_where;
  std::string where;
  TopologyFields fields;
};

struct MaintenanceRecord {
  MaintenanceWindow window;
  std::string where;
  std::string id_where, circuits_where, devices_where;
};

Criticality parseCriticality(const std::string& s) {
  if (s == "critical") return Criticality::Critical;
  if (s == "high") return Criticality::High;
  if (s == "low") return Criticality::Low;
  return Criticality::Normal;
}

void readTopologyFields(const ConfigReader& r, TopologyFields& f) {
  for (auto k : kTopologyFieldKeys)
    if (r.has(k)) f.set[std::string(k)] = r.where(k);
  if (auto v = r.name("device")) f.device = *v;
  if (auto v = r.name("uni_interface")) f.uni_interface = *v;
  if (auto v = r.strings("uplink_interfaces")) f.uplink_interfaces = *v;
  if (auto v = r.ip("carrier_target")) f.carrier_target = *v;
  if (auto v = r.ip("customer_target")) f.customer_target = *v;
  f.probe_interval = r.duration("probe_interval", 100ms, 1h);
  if (auto v = r.oneOf("criticality", {"critical", "high", "normal", "low"}))
    f.criticality = parseCriticality(*v);
  if (auto v = r.integer("vlan", 1, 4094)) f.vlan = static_cast<std::uint16_t>(*v);
  if (auto v = r.str("prefix")) {
    if (auto ok = checkCidr(*v); !ok)
      r.error("prefix", ok.error().what);
    else
      f.prefix = *v;
  }
  if (auto v = r.hostPort("reflector", false, false)) f.reflector = *v;
}

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  LoadResult run(const std::string& path) {
    cfg_.path = path;
    loadFile(path, {}, {}, "");
    if (errors_.empty() || !cfg_.files.empty()) finish();
    sortByLocation(errors_);
    LoadResult r;
    r.errors = std::move(errors_);
    r.warnings = std::move(warnings_);
    if (r.errors.empty()) r.config = std::move(cfg_);
    return r;
  }

 private:
  void loadFile(const std::string& file, std::vector<std::string> chain,
                std::vector<std::string> chain_display, const std::string& included_at) {
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(file, ec).string();
    struct stat st {};
    std::string why;
    if (::stat(file.c_str(), &st) != 0)
      why = std::strerror(errno);
    else if (S_ISDIR(st.st_mode))
      why = std::strerror(EISDIR);
    else if (!S_ISREG(st.st_mode))
      why = "not a regular file";
    else if (const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC); fd < 0)
      why = std::strerror(errno);  // e.g. "Permission denied"
    else
      ::close(fd);
    if (!why.empty()) {
      errors_.push_back({included_at.empty() ? file : included_at,
                         fmt::format("cannot read configuration file '{}': {}", file, why)});
      return;
    }
    if (loaded_.count(canonical)) {
      errors_.push_back(
          {included_at, fmt::format("'{}' is already included (from {}); include each file once",
                                    file, loaded_[canonical])});
      return;
    }
    loaded_[canonical] = included_at.empty() ? file : included_at;
    chain.push_back(canonical);
    chain_display.push_back(file);

    const auto doc = toml::parseFile(file);
    if (!doc) {
      errors_.push_back(doc.error());
      return;
    }
    cfg_.files.push_back(file);
    secrets_.clear();

    const ConfigReader top = toml::Reader(errors_, *doc);
    top.checkKeys(kTopLevelKeys);
    readSingleton(top, "daemon", [&](const ConfigReader& r) { readDaemon(r); });
    readSingleton(top, "store", [&](const ConfigReader& r) { readStore(r); });
    readSingleton(top, "http", [&](const ConfigReader& r) { readHttp(r); });
    forEachTable(top, "notify", [&](const ConfigReader& r) { readNotify(r); });
    forEachTable(top, "device", [&](const ConfigReader& r) { readDevice(r); });
    forEachTable(top, "circuit", [&](const ConfigReader& r) { readCircuit(r); });
    forEachTable(top, "topology", [&](const ConfigReader& r) { readTopology(r); });
    forEachTable(top, "maintenance", [&](const ConfigReader& r) { readMaintenance(r); });

    if (!secrets_.empty()) checkSecretMode(file, st.st_mode);

    // Includes are read after the including file, in order; paths are relative to it.
    std::vector<std::pair<std::string, std::string>> includes;  // path, where
    if (const auto* n = top.value("include")) {
      if (const auto* s = n->string()) {
        includes.emplace_back(*s, top.where("include"));
      } else if (const auto* a = n->array()) {
        for (std::size_t i = 0; i < a->size(); ++i) {
          const auto& el = (*a)[i];
          const auto w = top.whereElement("include", i);
          if (const auto* es = el.string(); es && !es->empty())
            includes.emplace_back(*es, w);
          else
            errors_.push_back({w, fmt::format("expected a file name (string), got {}",
                                              toml::describe(el.kind()))});
        }
      } else {
        top.typeError("include", *n, "an array of file names");
      }
    }
    for (const auto& [inc, where] : includes) {
      fs::path p(inc);
      if (p.is_relative()) p = fs::path(file).parent_path() / p;
      const auto child = p.lexically_normal().string();
      const auto child_canonical = fs::weakly_canonical(child, ec).string();
      if (auto it = std::find(chain.begin(), chain.end(), child_canonical); it != chain.end()) {
        std::string cycle;
        for (auto i = static_cast<std::size_t>(it - chain.begin()); i < chain.size(); ++i)
          cycle += chain_display[i] + " -> ";
        errors_.push_back({where, fmt::format("include cycle: {}{}", cycle, child)});
        continue;
      }
      loadFile(child, chain, chain_display, where);
    }
  }

  template <typename F>
  void readSingleton(const ConfigReader& top, std::string_view name, F&& f) {
    const auto t = top.table(name, fmt::format("a table [{}]", name));
    if (!t) return;
    const ConfigReader r = *t;
    // Each key may be set in one file only; a second setting elsewhere is an error.
    for (auto k : r.keys()) {
      const auto full = r.keyPath(k);
      if (auto it = singleton_set_.find(full); it != singleton_set_.end())
        r.error(k, fmt::format("{} is already set at {}", full, it->second));
      else
        singleton_set_[full] = r.where(k);
    }
    f(r);
  }

  template <typename F>
  void forEachTable(const ConfigReader& top, std::string_view key, F&& f) {
    for (const auto& t : top.tables(key)) f(ConfigReader(t));
  }

  void readDaemon(const ConfigReader& r) {
    auto& d = cfg_.daemon;
    r.checkKeys(kDaemonKeys);
    if (auto v = r.filePath("state_dir")) {
      if (v->empty())
        r.error("state_dir", "state_dir must not be empty");
      else
        d.state_dir = *v;
      state_dir_where_ = r.where("state_dir");
    }
    if (auto v = r.oneOf("log_level", kLogLevels)) d.log_level = *v;
    if (auto v = r.hostPort("trap_listen", true, false)) d.trap_listen = *v;
    if (auto v = r.strings("trap_communities")) {
      d.trap_communities = *v;
      secrets_.push_back(r.keyPath("trap_communities"));
    }
    if (auto v = r.str("capture_interface")) {
      if (v->size() > 15 || v->find_first_of("/ \t:") != std::string::npos)
        r.error("capture_interface", fmt::format("'{}' is not a valid interface name", *v));
      else
        d.capture_interface = *v;
    }
    if (auto v = r.filePath("profiles_dir")) {
      std::error_code ec;
      if (!v->empty() && !fs::is_directory(*v, ec))
        r.error("profiles_dir", fmt::format("profiles directory '{}' does not exist", *v));
      else
        d.profiles_dir = *v;
    }
    if (auto v = r.filePath("rules_file")) {
      std::error_code ec;
      if (!v->empty() && !fs::is_regular_file(*v, ec))
        r.error("rules_file", fmt::format("rules file '{}' does not exist", *v));
      else
        d.rules_file = *v;
    }
    if (auto v = r.str("monitor_target")) {
      if (!v->empty() && !isIpLiteral(*v) && !isHostname(*v))
        r.error("monitor_target", fmt::format("'{}' is not an IP address or host name", *v));
      else
        d.monitor_target = *v;
    }
    if (auto v = r.integer("max_in_flight", 1, 65536)) d.max_in_flight = static_cast<int>(*v);
    if (auto v = r.integer("max_in_flight_per_device", 1, 1024)) {
      d.max_in_flight_per_device = static_cast<int>(*v);
      per_device_where_ = r.where("max_in_flight_per_device");
    }
    if (auto v = r.duration("snmp_start_grid", 0ms, 500ms)) d.snmp_start_grid = *v;
    if (const auto* n = r.value("icmp_send_quantum")) {
      const auto* s = n->string();
      if (s && *s == "auto")
        d.icmp_send_quantum = Duration{0};
      else if (s && !toml::parseDuration(*s))
        r.error("icmp_send_quantum",
                fmt::format("'{}' is neither \"auto\" nor a duration such as \"2ms\"", *s));
      else if (auto v = r.duration("icmp_send_quantum", 1ms, 50ms))
        d.icmp_send_quantum = *v;
    }
  }

  void readStore(const ConfigReader& r) {
    r.checkKeys(kStoreKeys);
    if (auto v = r.str("backend")) {
      if (*v == "postgresql")
        r.error("backend", "backend 'postgresql' is not supported yet; use \"sqlite\"");
      else if (*v != "sqlite")
        r.error("backend", fmt::format("unknown backend '{}' (the only one is \"sqlite\")", *v));
      else
        cfg_.store.backend = *v;
    }
    if (auto v = r.filePath("path")) {
      cfg_.store.path = *v;
      store_path_where_ = r.where("path");
    }
  }

  void readHttp(const ConfigReader& r) {
    r.checkKeys(kHttpKeys);
    if (auto v = r.boolean("enabled")) cfg_.http.enabled = *v;
    if (auto v = r.hostPort("listen", false, true)) cfg_.http.listen = *v;
    if (auto v = r.duration("client_timeout", 100ms, 10min)) cfg_.http.client_timeout = *v;
    if (auto v = r.integer("max_connections", 1, 10000))
      cfg_.http.max_connections = static_cast<int>(*v);
  }

  // The channel's HTTP client needs "http://host:port[/path]" with an explicit port, so the
  // URL is checked here rather than failing every delivery attempt at run time.
  std::optional<std::string> httpUrl(const ConfigReader& r, std::string_view key) {
    auto s = r.str(key);
    if (!s) return std::nullopt;
    const std::string_view scheme = "http://";
    if (s->rfind(scheme, 0) != 0) {
      r.error(key, fmt::format("'{}' is not an http:// URL (https is not supported; put a local "
                               "proxy in front)",
                               *s));
      return std::nullopt;
    }
    const std::string rest = s->substr(scheme.size());
    const std::string hostport = rest.substr(0, rest.find('/'));
    bool ok = false;
    if (!hostport.empty() && hostport.front() == '[') {
      ok = static_cast<bool>(parseHostPort(hostport, false));
    } else if (const auto colon = hostport.rfind(':'); colon != std::string::npos) {
      const std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
      ok = (isIpLiteral(host) || isHostname(host)) && !port.empty() && port.size() <= 5 &&
           port.find_first_not_of("0123456789") == std::string::npos && std::stoi(port) >= 1 &&
           std::stoi(port) <= 65535;
    }
    if (!ok) {
      r.error(key, fmt::format("'{}' needs a valid host and port: http://host:port[/path]", *s));
      return std::nullopt;
    }
    return s;
  }

  void readNotify(const ConfigReader& r) {
    r.checkKeys(kNotifyKeys);
    NotifyRecord rec;
    auto& c = rec.channel;
    rec.where = r.whereTable();
    if (auto v = r.name("name", true)) {
      c.name = *v;
      rec.name_where = r.where("name");
    }
    if (auto v = r.oneOf("kind", kNotifyKinds, true)) c.kind = *v;
    if (auto v = httpUrl(r, "url")) c.url = *v;
    if (auto v = r.str("secret")) {
      c.secret = *v;
      secrets_.push_back(r.keyPath("secret"));
    }
    if (auto v = r.strings("command")) {
      if (v->empty())
        r.error("command", "command must name a program: [\"/absolute/path\", args...]");
      else if (!fs::path(v->front()).is_absolute())
        r.error("command", fmt::format("program '{}' must be an absolute path", v->front()));
      else
        c.command = *v;
    }
    if (auto v = r.duration("timeout", 100ms, 10min)) c.timeout = *v;
    if (auto v = httpUrl(r, "generator_url")) c.generator_url = *v;
    // Keys that belong to another kind are mistakes, not silently ignored settings.
    const bool http = c.kind == "alertmanager" || c.kind == "webhook";
    if (c.kind == "exec") {
      for (auto k : {"url", "secret", "generator_url"})
        if (r.has(k)) r.error(k, fmt::format("'{}' does not apply to kind = \"exec\"", k));
      if (!r.has("command")) r.missing("command", " (kind = \"exec\" runs a program)");
    } else if (http) {
      if (r.has("command"))
        r.error("command", fmt::format("'command' does not apply to kind = \"{}\"", c.kind));
      if (!r.has("url")) r.missing("url", fmt::format(" (kind = \"{}\" posts to it)", c.kind));
      if (c.kind == "webhook" && r.has("generator_url"))
        r.error("generator_url", "'generator_url' applies to kind = \"alertmanager\" only");
      if (c.kind == "alertmanager" && r.has("secret"))
        r.error("secret", "'secret' applies to kind = \"webhook\" only");
    }
    notify_.push_back(std::move(rec));
  }

  void readDevice(const ConfigReader& r) {
    r.checkKeys(kDeviceKeys, kSnmpKeys, "snmp");
    DeviceRecord rec;
    auto& d = rec.device;
    rec.where = r.whereTable();
    if (auto v = r.name("name", true)) {
      d.name = *v;
      rec.name_where = r.where("name");
    }
    if (auto v = r.name("address", true)) {
      if (!isIpLiteral(*v) && !isHostname(*v))
        r.error("address", fmt::format("'{}' is not an IPv4/IPv6 address or a host name", *v));
      else
        d.address = *v;
    }
    if (auto v = r.integer("port", 1, 65535)) d.snmp_port = static_cast<std::uint16_t>(*v);
    if (auto v = r.str("site")) d.site = *v;
    if (auto v = r.str("aggregation")) d.aggregation = *v;
    if (auto v = r.name("profile")) {
      d.profile = *v;
      rec.profile_where = r.where("profile");
    }
    if (auto v = r.oneOf("if_name_source", {"ifName", "ifDescr", "ifAlias"}))
      d.if_name_source = *v == "ifName"    ? IfNameSource::IfName
                         : *v == "ifDescr" ? IfNameSource::IfDescr
                                           : IfNameSource::IfAlias;
    if (auto v = r.strings("interfaces")) d.interfaces = *v;
    if (auto v = r.duration("poll_interval", 1s, 1h)) d.poll_interval = *v;
    if (auto v = r.duration("timeout", 100ms, 60s)) d.timeout = *v;
    if (auto v = r.integer("retries", 0, 10)) d.retries = static_cast<int>(*v);
    readSnmp(r, d.snmp);
    devices_.push_back(std::move(rec));
  }

  void readSnmp(const ConfigReader& dev, SnmpCredentials& c) {
    if (!dev.has("snmp")) {
      dev.missing("snmp",
                  " (snmp = { version = \"2c\", community = \"...\" } or version \"3\" with user "
                  "and keys)");
      return;
    }
    const auto t = dev.table("snmp");
    if (!t) return;
    const ConfigReader r = *t;
    r.checkKeys(kSnmpKeys);
    const auto version = r.oneOf("version", {"2c", "3"}, true);
    if (!version) return;
    const auto secret = [&](std::string_view key) {
      if (r.has(key)) secrets_.push_back(r.keyPath(key));
    };
    secret("community");
    secret("auth_key");
    secret("priv_key");
    if (*version == "2c") {
      c.version = SnmpCredentials::Version::V2c;
      for (auto k : {"user", "auth_protocol", "auth_key", "priv_protocol", "priv_key"})
        if (r.has(k)) r.error(k, fmt::format("'{}' belongs to SNMP version \"3\", not \"2c\"", k));
      if (auto v = r.name("community", true)) c.community = *v;
      return;
    }
    c.version = SnmpCredentials::Version::V3;
    if (r.has("community"))
      r.error("community", "'community' belongs to SNMP version \"2c\", not \"3\"");
    if (auto v = r.name("user", true)) c.user = *v;
    if (auto v = r.oneOf("auth_protocol", {"SHA", "SHA-256"}, true))
      c.auth_proto =
          *v == "SHA" ? SnmpCredentials::AuthProto::Sha : SnmpCredentials::AuthProto::Sha256;
    if (auto v = r.oneOf("priv_protocol", {"AES", "AES-128"}, true))
      c.priv_proto = SnmpCredentials::PrivProto::Aes128;
    // RFC 3414 section 11.2: USM passphrases shorter than 8 characters are refused by agents.
    for (auto [key, out] :
         {std::pair{"auth_key", &c.auth_key}, std::pair{"priv_key", &c.priv_key}}) {
      if (auto v = r.str(key, true)) {
        if (v->size() < 8)
          r.error(key,
                  fmt::format("{} is {} characters; SNMPv3 keys need at least 8", key, v->size()));
        else
          *out = *v;
      }
    }
  }

  void readCircuit(const ConfigReader& r) {
    r.checkKeys(concat(kCircuitOwnKeys, kTopologyFieldKeys));
    CircuitRecord rec;
    auto& c = rec.circuit;
    rec.where = r.whereTable();
    if (auto v = r.name("link_id")) {
      c.link_id = *v;
      rec.link_where = r.where("link_id");
    }
    if (auto v = r.name("key")) {
      c.key = *v;
      rec.explicit_key = true;
      rec.key_where = r.where("key");
    } else if (!c.link_id.empty()) {
      c.key = c.link_id;
      rec.key_where = rec.link_where;
    } else if (!r.has("link_id") && !r.has("key")) {
      r.missing("key", " (a circuit needs 'link_id' or, when it has none, 'key')");
    }
    if (auto v = r.str("contract")) c.contract = *v;
    if (auto v = r.integer("row", 1, 1'000'000)) c.contract_row = static_cast<int>(*v);
    if (auto v = r.str("site")) c.site = *v;
    if (auto v = r.str("service")) c.service = *v;
    if (auto v = r.number("bandwidth_mbps")) {
      if (!(*v > 0) || *v > 100000)
        r.error(
            "bandwidth_mbps",
            fmt::format("bandwidth_mbps = {} is out of range (more than 0, at most 100000)", *v));
      else
        c.bandwidth_mbps = *v;
    }
    for (auto [key, out] :
         {std::pair{"monthly_fee", &c.monthly_fee}, std::pair{"annual_fee", &c.annual_fee}}) {
      if (auto v = r.number(key)) {
        if (*v < 0)
          r.error(key, fmt::format("{} = {} must not be negative", key, *v));
        else
          *out = *v;
      }
    }
    c.term_start = r.date("term_start");
    c.term_end = r.date("term_end");
    if (c.term_start && c.term_end && *c.term_end < *c.term_start)
      r.error("term_end",
              fmt::format("term_end {} is before term_start {}", *c.term_end, *c.term_start));
    if (auto v = r.boolean("review")) c.review = *v;
    readTopologyFields(r, rec.topology);
    circuits_.push_back(std::move(rec));
  }

  void readTopology(const ConfigReader& r) {
    r.checkKeys(concat({"circuit"}, kTopologyFieldKeys));
    TopologyRecord rec;
    rec.where = r.whereTable();
    if (auto v = r.name("circuit", true)) {
      rec.circuit = *v;
      rec.circuit_where = r.where("circuit");
    }
    readTopologyFields(r, rec.fields);
    topologies_.push_back(std::move(rec));
  }

  void readMaintenance(const ConfigReader& r) {
    r.checkKeys(kMaintenanceKeys);
    MaintenanceRecord rec;
    auto& m = rec.window;
    rec.where = r.whereTable();
    if (auto v = r.name("id", true)) {
      m.id = *v;
      rec.id_where = r.where("id");
    }
    const auto start = r.instant("start", true);
    const auto end = r.instant("end", true);
    if (start) m.start = *start;
    if (end) m.end = *end;
    if (start && end && *end <= *start)
      r.error("end",
              fmt::format("end {} is not after start {}", formatIso(*end), formatIso(*start)));
    m.notified_at = r.instant("notified_at");
    if (auto v = r.strings("circuits")) {
      m.circuits = *v;
      rec.circuits_where = r.where("circuits");
    }
    if (auto v = r.strings("devices")) {
      m.devices = *v;
      rec.devices_where = r.where("devices");
    }
    if (auto v = r.boolean("force_majeure")) m.force_majeure = *v;
    if (auto v = r.str("reference")) m.reference = *v;
    maintenance_.push_back(std::move(rec));
  }

  void checkSecretMode(const std::string& file, mode_t mode) {
    if ((mode & (S_IRGRP | S_IROTH)) == 0) return;
    warnings_.push_back(
        {file, fmt::format("file mode {:04o} lets {} read the secrets it holds ({}); chmod 600 {}",
                           mode & 07777, (mode & S_IROTH) ? "every user" : "its group",
                           fmt::join(secrets_, ", "), file)});
  }

  /// Cross-file checks: duplicates, references, topology merge, defaults.
  void finish() {
    auto& inv = cfg_.inventory;
    const auto& d = cfg_.daemon;
    if (d.max_in_flight_per_device > d.max_in_flight)
      errors_.push_back({per_device_where_,
                         fmt::format("max_in_flight_per_device = {} exceeds max_in_flight = {}",
                                     d.max_in_flight_per_device, d.max_in_flight)});
    if (cfg_.store.path.empty()) {
      cfg_.store.path = (fs::path(d.state_dir) / "circuitd.db").string();
      if (options_.check_store)
        checkStorePath(state_dir_where_.empty() ? cfg_.path + " store.path" : state_dir_where_);
    } else if (options_.check_store) {
      checkStorePath(store_path_where_);
    }

    std::map<std::string, const NotifyRecord*> channels;
    for (const auto& rec : notify_) {
      if (rec.channel.name.empty()) continue;
      auto [it, fresh] = channels.emplace(rec.channel.name, &rec);
      if (!fresh) {
        errors_.push_back(
            {rec.name_where, fmt::format("duplicate notify channel name '{}' (first defined at {})",
                                         rec.channel.name, it->second->name_where)});
        continue;
      }
      cfg_.notify.push_back(rec.channel);
    }

    std::map<std::string, const DeviceRecord*> devices;
    Keys device_names;
    for (const auto& rec : devices_) {
      if (rec.device.name.empty()) continue;
      auto [it, fresh] = devices.emplace(rec.device.name, &rec);
      if (!fresh) {
        errors_.push_back(
            {rec.name_where, fmt::format("duplicate device name '{}' (first defined at {})",
                                         rec.device.name, it->second->name_where)});
        continue;
      }
      device_names.push_back(rec.device.name);
      if (!d.profiles_dir.empty() && !rec.device.profile.empty()) {
        std::error_code ec;
        const auto file = fs::path(d.profiles_dir) / (rec.device.profile + ".toml");
        if (!fs::is_regular_file(file, ec))
          errors_.push_back(
              {rec.profile_where, fmt::format("unknown vendor profile '{}': {} does not exist",
                                              rec.device.profile, file.string())});
      }
      inv.devices.push_back(rec.device);
    }

    // Keys and link ids are unique; the contract itself sometimes repeats a link id on several
    // rows, which the importer keeps under distinct keys with review = true (a warning then).
    std::map<std::string, CircuitRecord*> by_key;
    std::map<std::string, CircuitRecord*> by_link;
    const auto rowOf = [](const CircuitRecord& c) {
      return c.circuit.contract_row ? fmt::format("row {}, ", c.circuit.contract_row)
                                    : std::string{};
    };
    for (auto& rec : circuits_) {
      auto& c = rec.circuit;
      if (c.key.empty()) continue;
      auto [it, fresh] = by_key.emplace(c.key, &rec);
      if (!fresh) {
        errors_.push_back(
            {rec.key_where, fmt::format("duplicate circuit key '{}' ({}first at {}{})", c.key,
                                        rec.explicit_key ? "" : "from link_id; ",
                                        rowOf(*it->second), it->second->key_where)});
        rec.circuit.key.clear();
        continue;
      }
      if (c.link_id.empty()) continue;
      auto [lit, lfresh] = by_link.emplace(c.link_id, &rec);
      if (!lfresh) {
        const auto& first = *lit->second;
        const auto msg = fmt::format("link_id '{}' is also used by circuit '{}' ({}at {})",
                                     c.link_id, first.circuit.key, rowOf(first), first.link_where);
        if (c.review && first.circuit.review)
          warnings_.push_back({rec.link_where, msg + "; both rows are marked review"});
        else
          errors_.push_back({rec.link_where, "duplicate " + msg});
      }
    }

    std::map<std::string, const TopologyRecord*> topo_for;
    Keys circuit_keys;
    for (const auto& [k, _] : by_key) circuit_keys.push_back(k);
    for (const auto& t : topologies_) {
      if (t.circuit.empty()) continue;
      auto it = by_key.find(t.circuit);
      if (it == by_key.end()) {
        errors_.push_back({t.circuit_where, fmt::format("unknown circuit '{}'{}", t.circuit,
                                                        didYouMean(t.circuit, circuit_keys))});
        continue;
      }
      auto [prev, fresh] = topo_for.emplace(t.circuit, &t);
      if (!fresh) {
        errors_.push_back(
            {t.circuit_where, fmt::format("circuit '{}' already has a [[topology]] entry at {}",
                                          t.circuit, prev->second->where)});
        continue;
      }
      auto& mine = it->second->topology;
      for (const auto& [key, where] : t.fields.set) {
        if (auto both = mine.set.find(key); both != mine.set.end()) {
          errors_.push_back(
              {where, fmt::format("'{}' of circuit '{}' is set both here and in [[circuit]] at {}; "
                                  "give each topology key in one place",
                                  key, t.circuit, both->second)});
          continue;
        }
        mine.set[key] = where;
        const auto& f = t.fields;
        if (key == "device")
          mine.device = f.device;
        else if (key == "uni_interface")
          mine.uni_interface = f.uni_interface;
        else if (key == "uplink_interfaces")
          mine.uplink_interfaces = f.uplink_interfaces;
        else if (key == "carrier_target")
          mine.carrier_target = f.carrier_target;
        else if (key == "customer_target")
          mine.customer_target = f.customer_target;
        else if (key == "probe_interval")
          mine.probe_interval = f.probe_interval;
        else if (key == "criticality")
          mine.criticality = f.criticality;
        else if (key == "vlan")
          mine.vlan = f.vlan;
        else if (key == "prefix")
          mine.prefix = f.prefix;
        else if (key == "reflector")
          mine.reflector = f.reflector;
      }
    }

    for (auto& rec : circuits_) {
      if (rec.circuit.key.empty()) continue;
      auto& c = rec.circuit;
      const auto& f = rec.topology;
      c.device = f.device;
      c.uni_interface = f.uni_interface;
      c.uplink_interfaces = f.uplink_interfaces;
      c.carrier_target = f.carrier_target;
      c.customer_target = f.customer_target;
      c.criticality = f.criticality.value_or(Criticality::Normal);
      // Critical circuits are probed every second unless told otherwise; the rest every 10 s.
      c.probe_interval = f.probe_interval.value_or(
          c.criticality == Criticality::Critical ? Duration{1s} : Duration{10s});
      c.vlan = f.vlan;
      c.prefix = f.prefix;
      c.reflector = f.reflector;
      if (!c.carrier_target.empty() && c.carrier_target == c.customer_target)
        errors_.push_back(
            {f.set.at("customer_target"),
             fmt::format("customer_target '{}' of circuit '{}' equals its carrier_target",
                         c.customer_target, c.key)});
      checkInterfaces(c, f, devices, device_names);
      inv.circuits.push_back(c);
    }

    std::map<std::string, std::string> id_where;
    for (const auto& rec : maintenance_) {
      const auto& m = rec.window;
      if (!m.id.empty()) {
        auto [it, fresh] = id_where.emplace(m.id, rec.id_where);
        if (!fresh)
          errors_.push_back(
              {rec.id_where,
               fmt::format("duplicate maintenance id '{}' (first at {})", m.id, it->second)});
      }
      for (const auto& k : m.circuits)
        if (!by_key.count(k))
          errors_.push_back({rec.circuits_where, fmt::format("unknown circuit '{}'{}", k,
                                                             didYouMean(k, circuit_keys))});
      for (const auto& n : m.devices)
        if (!devices.count(n))
          errors_.push_back({rec.devices_where,
                             fmt::format("unknown device '{}'{}", n, didYouMean(n, device_names))});
      inv.maintenance.push_back(m);
    }
  }

  /// The store must be a file the daemon can open and write, beside which SQLite can create its
  /// -wal and -shm files: an existing path must be a regular file, readable and writable; its
  /// directory must exist and be writable, or be creatable — the daemon creates state_dir (with
  /// its missing parents) at start, so a directory still missing is accepted when it is
  /// state_dir or one of its parents and its nearest existing ancestor is a writable directory.
  void checkStorePath(const std::string& where) {
    const fs::path path(cfg_.store.path);
    const auto report = [&](const std::string& what) {
      errors_.push_back({where, fmt::format("store '{}': {}", path.string(), what)});
    };
    const auto writableDir = [](const fs::path& dir) -> std::string {
      struct stat ds {};
      if (::stat(dir.c_str(), &ds) != 0) return std::strerror(errno);
      if (!S_ISDIR(ds.st_mode)) return std::strerror(ENOTDIR);
      if (::access(dir.c_str(), W_OK | X_OK) != 0) return std::strerror(errno);
      return {};
    };
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return report(std::strerror(EISDIR));
      if (!S_ISREG(st.st_mode)) return report("not a regular file");
      if (::access(path.c_str(), R_OK | W_OK) != 0) return report(std::strerror(errno));
    } else if (errno != ENOENT) {
      return report(std::strerror(errno));  // e.g. a parent that is a file: "Not a directory"
    }
    fs::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (fs::exists(dir, ec)) {
      if (auto why = writableDir(dir); !why.empty())
        report(fmt::format("directory '{}': {}", dir.string(), why));
      return;
    }
    // The directory is missing: only state_dir and its parents are created at start.
    const fs::path state = fs::path(cfg_.daemon.state_dir).lexically_normal();
    const fs::path missing = dir.lexically_normal();
    const auto rel = state.lexically_relative(missing);
    const bool created = !rel.empty() && *rel.begin() != "..";
    if (!created)
      return report(fmt::format("directory '{}': {} (the daemon creates only state_dir '{}')",
                                dir.string(), std::strerror(ENOENT), state.string()));
    fs::path ancestor = missing;
    while (ancestor.has_parent_path() && ancestor != ancestor.parent_path() &&
           !fs::exists(ancestor, ec))
      ancestor = ancestor.parent_path();
    if (auto why = writableDir(ancestor); !why.empty())
      report(fmt::format("directory '{}' cannot be created: '{}': {}", dir.string(),
                         ancestor.string(), why));
  }

  void checkInterfaces(const Circuit& c, const TopologyFields& f,
                       const std::map<std::string, const DeviceRecord*>& devices,
                       const Keys& device_names) {
    const DeviceRecord* dev = nullptr;
    if (!c.device.empty()) {
      auto it = devices.find(c.device);
      if (it == devices.end()) {
        errors_.push_back(
            {f.set.at("device"), fmt::format("circuit '{}' names unknown device '{}'{}", c.key,
                                             c.device, didYouMean(c.device, device_names))});
        return;
      }
      dev = it->second;
    }
    std::vector<std::pair<std::string, std::string>> named;  // key, interface
    if (!c.uni_interface.empty()) named.emplace_back("uni_interface", c.uni_interface);
    for (const auto& u : c.uplink_interfaces) named.emplace_back("uplink_interfaces", u);
    for (const auto& [key, iface] : named) {
      if (!dev) {
        errors_.push_back({f.set.at(key), fmt::format("circuit '{}' sets {} '{}' but no device",
                                                      c.key, key, iface)});
        continue;
      }
      const auto& list = dev->device.interfaces;
      if (list.empty() || std::find(list.begin(), list.end(), iface) != list.end()) continue;
      const Keys cands(list.begin(), list.end());
      errors_.push_back(
          {f.set.at(key),
           fmt::format("circuit '{}': interface '{}' is not on device '{}' "
                       "(its interfaces: {}){}",
                       c.key, iface, c.device, quoteList(list), didYouMean(iface, cands))});
    }
  }

  /// Orders errors by file (in reading order), line and column, so output reads top to bottom.
  void sortByLocation(Errors& errors) const {
    const auto rank = [&](const Error& e) {
      const auto head = e.where.substr(0, e.where.find(' '));
      std::size_t file_index = cfg_.files.size();
      long line = 0, col = 0;
      const auto c2 = head.rfind(':');
      const auto c1 =
          c2 == std::string::npos || c2 == 0 ? std::string::npos : head.rfind(':', c2 - 1);
      std::string file = head;
      if (c1 != std::string::npos) {
        try {
          line = std::stol(head.substr(c1 + 1, c2 - c1 - 1));
          col = std::stol(head.substr(c2 + 1));
          file = head.substr(0, c1);
        } catch (const std::exception&) {
          line = col = 0;
        }
      }
      for (std::size_t i = 0; i < cfg_.files.size(); ++i)
        if (cfg_.files[i] == file) file_index = i;
      return std::tuple{file_index, line, col};
    };
    std::stable_sort(errors.begin(), errors.end(),
                     [&](const Error& a, const Error& b) { return rank(a) < rank(b); });
  }

  Config cfg_;
  Errors errors_;
  std::vector<Error> warnings_;
  std::map<std::string, std::string> loaded_;         ///< canonical path -> where it was included
  std::map<std::string, std::string> singleton_set_;  ///< "daemon.state_dir" -> where set
  std::vector<std::string> secrets_;                  ///< secret keys in the file being read
  std::string per_device_where_;
  std::string state_dir_where_;   ///< where daemon.state_dir is set, "" = the default
  std::string store_path_where_;  ///< where store.path is set
  LoadOptions options_;
  std::vector<DeviceRecord> devices_;
  std::vector<NotifyRecord> notify_;
  std::vector<CircuitRecord> circuits_;
  std::vector<TopologyRecord> topologies_;
  std::vector<MaintenanceRecord> maintenance_;
};

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

LoadResult load(const std::string& path, const LoadOptions& options) {
  return Loader(options).run(path);
}

std::size_t probeTargetCount(const Config& cfg) {
  std::size_t targets = 0;
  for (const auto& c : cfg.inventory.circuits)
    targets += !c.carrier_target.empty() + !c.customer_target.empty() + !c.reflector.empty();
  return targets;
}

std::string summary(const Config& cfg) {
  const auto& inv = cfg.inventory;
  return fmt::format("{}, {}, {}, {}", plural(inv.devices.size(), "device", "devices"),
                     plural(inv.circuits.size(), "circuit", "circuits"),
                     plural(probeTargetCount(cfg), "probe target", "probe targets"),
                     plural(inv.maintenance.size(), "maintenance window", "maintenance windows"));
}

}  // namespace circuitd::config
