// circuitctl poll: one-shot SNMP poll of one device with the daemon's SnmpPoller, printing what
// the daemon would see: sysUpTime, each interface's status and counters, optical power, and
// on a second poll after --interval S, rates. Exit codes: 0 ok, 3 timeout, 4 authentication
// failure, 5 no such interface, 1 other errors (bad options, unknown profile).
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/profile_file.hpp"
#include "daemon/runtime/system_clock.hpp"
#include "probes/snmp/poller.hpp"
#include "probes/snmp/profile.hpp"
#include "tools/circuitctl/commands.hpp"

namespace circuitctl {
namespace {

using namespace circuitd;

constexpr int kExitError = 1;
constexpr int kExitTimeout = 3;
constexpr int kExitAuth = 4;
constexpr int kExitNoInterface = 5;

struct PollOptions {
  std::string target;
  std::string community;
  std::string user, auth_proto = "SHA", auth_key, priv_proto = "AES", priv_key;
  std::vector<std::string> interfaces;
  std::string if_source = "ifName";
  std::string profile;
  double interval_s = 0;
  double timeout_s = 2;
  int retries = 1;
  bool json = false;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "192.0.2.1", "192.0.2.1:1161", "[2001:db8::1]:161", "2001:db8::1", "host:161".
bool splitTarget(const std::string& t, std::string& host, std::uint16_t& port, std::string& err) {
  port = 161;
  std::string p;
  if (!t.empty() && t.front() == '[') {
    const auto rb = t.find(']');
    if (rb == std::string::npos) return err = "missing ']' in " + t, false;
    host = t.substr(1, rb - 1);
    if (rb + 1 < t.size()) {
      if (t[rb + 1] != ':') return err = "expected ':' after ']' in " + t, false;
      p = t.substr(rb + 2);
    }
  } else if (std::count(t.begin(), t.end(), ':') == 1) {
    host = t.substr(0, t.find(':'));
    p = t.substr(t.find(':') + 1);
  } else {
    host = t;
  }
  if (host.empty()) return err = "no address in " + t, false;
  if (!p.empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535)
      return err = "bad port \"" + p + "\"", false;
    port = static_cast<std::uint16_t>(v);
  }
  return true;
}

const char* statusName(IfStatus s) {
  switch (s) {
    case IfStatus::Up:
      return "up";
    case IfStatus::Down:
      return "down";
    case IfStatus::Testing:
      return "testing";
    case IfStatus::Unknown:
      return "unknown";
    case IfStatus::Dormant:
      return "dormant";
    case IfStatus::NotPresent:
      return "notPresent";
    case IfStatus::LowerLayerDown:
      return "lowerLayerDown";
  }
  return "unknown";
}

std::string ticks(std::uint32_t t) {
  const std::uint64_t s = t / 100;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llud %02llu:%02llu:%02llu.%02u",
                static_cast<unsigned long long>(s / 86400),
                static_cast<unsigned long long>(s / 3600 % 24),
                static_cast<unsigned long long>(s / 60 % 60),
                static_cast<unsigned long long>(s % 60), t % 100);
  return buf;
}

std::string bps(double v) {
  char buf[64];
  if (v >= 1e9)
    std::snprintf(buf, sizeof buf, "%.3f Gbit/s", v / 1e9);
  else if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3f Mbit/s", v / 1e6);
  else if (v >= 1e3)
    std::snprintf(buf, sizeof buf, "%.3f kbit/s", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f bit/s", v);
  return buf;
}

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json toJson(const InterfaceSample& s) {
  nlohmann::json j{{"name", s.if_name},
                   {"if_index", s.if_index},
                   {"admin", statusName(s.admin)},
                   {"oper", statusName(s.oper)},
                   {"high_speed_mbps", opt(s.high_speed_mbps)},
                   {"last_change", opt(s.last_change)},
                   {"in_octets", opt(s.in_octets)},
                   {"out_octets", opt(s.out_octets)},
                   {"in_errors", opt(s.in_errors)},
                   {"out_errors", opt(s.out_errors)},
                   {"in_discards", opt(s.in_discards)},
                   {"in_bps", opt(s.in_bps)},
                   {"out_bps", opt(s.out_bps)},
                   {"in_errors_per_s", opt(s.in_errors_per_s)},
                   {"out_errors_per_s", opt(s.out_errors_per_s)},
                   {"in_discards_per_s", opt(s.in_discards_per_s)},
                   {"counter_discontinuity", s.counter_discontinuity},
                   {"rx_power_dbm", opt(s.rx_power_dbm)},
                   {"tx_power_dbm", opt(s.tx_power_dbm)},
                   {"time", formatIso(s.time)}};
  nlohmann::json extra = nlohmann::json::object();
  for (const auto& [k, v] : s.extra) extra[k] = v;
  j["extra"] = extra;
  return j;
}

void printText(const DevicePoll& dp, const std::vector<InterfaceSample>& samples, bool second) {
  std::cout << (second ? "second poll" : "poll") << " " << dp.device << " at " << formatIso(dp.time)
            << ": ";
  if (!dp.reachable) {
    std::cout << "unreachable (" << dp.error << ")\n";
    return;
  }
  std::cout << "sysUpTime "
            << (dp.sys_uptime ? std::to_string(*dp.sys_uptime) + " (" + ticks(*dp.sys_uptime) + ")"
                              : "?")
            << (dp.rebooted ? ", REBOOTED since the previous poll" : "") << "\n";
  for (const auto& s : samples) {
    std::cout << "  " << s.if_name << " (ifIndex " << s.if_index << "): admin "
              << statusName(s.admin) << ", oper " << statusName(s.oper);
    if (s.high_speed_mbps) std::cout << ", speed " << *s.high_speed_mbps << " Mbit/s";
    if (s.last_change) std::cout << ", last change at uptime " << ticks(*s.last_change);
    std::cout << "\n    counters: in " << (s.in_octets ? std::to_string(*s.in_octets) : "?")
              << " octets, out " << (s.out_octets ? std::to_string(*s.out_octets) : "?")
              << " octets, in errors " << (s.in_errors ? std::to_string(*s.in_errors) : "?")
              << ", out errors " << (s.out_errors ? std::to_string(*s.out_errors) : "?")
              << ", in discards " << (s.in_discards ? std::to_string(*s.in_discards) : "?") << "\n";
    if (s.in_bps || s.out_bps) {
      std::cout << "    rates: in " << (s.in_bps ? bps(*s.in_bps) : "?") << ", out "
                << (s.out_bps ? bps(*s.out_bps) : "?");
      if (s.in_errors_per_s) std::cout << ", in errors " << *s.in_errors_per_s << "/s";
      if (s.out_errors_per_s) std::cout << ", out errors " << *s.out_errors_per_s << "/s";
      if (s.in_discards_per_s) std::cout << ", in discards " << *s.in_discards_per_s << "/s";
      std::cout << "\n";
    } else if (s.counter_discontinuity) {
      std::cout << "    rates: withheld (counter discontinuity)\n";
    }
    if (s.rx_power_dbm || s.tx_power_dbm) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "    optical: rx %s dBm, tx %s dBm\n",
                    s.rx_power_dbm ? std::to_string(*s.rx_power_dbm).c_str() : "?",
                    s.tx_power_dbm ? std::to_string(*s.tx_power_dbm).c_str() : "?");
      std::cout << buf;
    }
    for (const auto& [k, v] : s.extra) std::cout << "    " << k << ": " << v << "\n";
  }
}

int runPoll(const PollOptions& o) {
  snmp::PollTarget t;
  std::string err;
  if (!splitTarget(o.target, t.address, t.port, err)) {
    std::cerr << "circuitctl poll: " << err << "\n";
    return kExitError;
  }
  t.device = o.target;
  if (!o.user.empty()) {
    auto& c = t.credentials;
    c.version = SnmpCredentials::Version::V3;
    c.user = o.user;
    const auto ap = lower(o.auth_proto);
    if (ap == "sha" || ap == "sha1")
      c.auth_proto = SnmpCredentials::AuthProto::Sha;
    else if (ap == "sha-256" || ap == "sha256")
      c.auth_proto = SnmpCredentials::AuthProto::Sha256;
    else {
      std::cerr << "circuitctl poll: --auth-proto must be SHA or SHA-256, not " << o.auth_proto
                << "\n";
      return kExitError;
    }
    if (o.auth_key.empty()) {
      std::cerr << "circuitctl poll: --user needs --auth-key (v3 authNoPriv or authPriv)\n";
      return kExitError;
    }
    c.auth_key = o.auth_key;
    if (!o.priv_key.empty()) {
      const auto pp = lower(o.priv_proto);
      if (pp != "aes" && pp != "aes-128" && pp != "aes128") {
        std::cerr << "circuitctl poll: --priv-proto must be AES (AES-128), not " << o.priv_proto
                  << "\n";
        return kExitError;
      }
      c.priv_proto = SnmpCredentials::PrivProto::Aes128;
      c.priv_key = o.priv_key;
    }
  } else {
    t.credentials.community = o.community.empty() ? "public" : o.community;
  }
  if (o.if_source == "ifName")
    t.name_source = IfNameSource::IfName;
  else if (o.if_source == "ifDescr")
    t.name_source = IfNameSource::IfDescr;
  else if (o.if_source == "ifAlias")
    t.name_source = IfNameSource::IfAlias;
  else {
    std::cerr << "circuitctl poll: --if-source must be ifName, ifDescr or ifAlias\n";
    return kExitError;
  }
  if (!o.profile.empty()) {
    auto p = o.profile.find('/') != std::string::npos
                 ? config::loadProfileFile(o.profile)
                 : config::loadProfile(o.profile, config::defaultProfileDirs());
    if (!p) {
      std::cerr << "circuitctl poll: " << p.error().str() << "\n";
      return kExitError;
    }
    t.profile = std::make_shared<snmp::VendorProfile>(std::move(*p));
  }
  t.interfaces = o.interfaces;
  t.timeout = Duration{static_cast<std::int64_t>(o.timeout_s * 1000)};
  t.retries = o.retries;
  t.interval = std::chrono::hours(1);
  if (t.timeout.count() <= 0) {
    std::cerr << "circuitctl poll: --timeout must be positive\n";
    return kExitError;
  }

  boost::asio::io_context io;
  SystemClock clock;
  std::vector<InterfaceSample> samples;
  snmp::SnmpPoller poller(io, clock, [&samples](Observation ob) {
    if (auto* s = std::get_if<InterfaceSample>(&ob)) samples.push_back(std::move(*s));
  });
  if (auto r = poller.addDevice(t); !r) {
    std::cerr << "circuitctl poll: " << r.error().str() << "\n";
    return kExitError;
  }
  std::vector<std::pair<DevicePoll, std::vector<InterfaceSample>>> rounds;
  boost::asio::steady_timer wait(io);
  std::function<void(const DevicePoll&)> onRound = [&](const DevicePoll& dp) {
    rounds.emplace_back(dp, std::move(samples));
    samples.clear();
    if (rounds.size() == 1 && dp.reachable && o.interval_s > 0) {
      wait.expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(o.interval_s * 1000)));
      wait.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) poller.pollNow(t.device, onRound);
      });
      return;
    }
    poller.stop();
  };
  poller.pollNow(t.device, onRound);
  io.run();

  if (rounds.empty()) {
    std::cerr << "circuitctl poll: no result\n";
    return kExitError;
  }
  const auto& last = rounds.back().first;
  if (o.json) {
    nlohmann::json out{{"target", o.target}, {"polls", nlohmann::json::array()}};
    for (const auto& [dp, ss] : rounds) {
      nlohmann::json p{{"time", formatIso(dp.time)}, {"reachable", dp.reachable},
                       {"error", dp.error},          {"sys_uptime", opt(dp.sys_uptime)},
                       {"rebooted", dp.rebooted},    {"interfaces", nlohmann::json::array()}};
      for (const auto& s : ss) p["interfaces"].push_back(toJson(s));
      out["polls"].push_back(p);
    }
    std::cout << out.dump(2) << "\n";
  } else {
    for (std::size_t i = 0; i < rounds.size(); ++i)
      printText(rounds[i].first, rounds[i].second, i > 0);
  }
  if (!last.reachable) {
    if (last.error == "timeout") {
      std::cerr << "circuitctl poll: " << o.target << ": timeout (no answer after " << o.retries + 1
                << " attempts; check address, port, community or v3 privacy key)\n";
      return kExitTimeout;
    }
    if (last.error == "authentication failure") {
      std::cerr << "circuitctl poll: " << o.target
                << ": authentication failure (wrong v3 user or key)\n";
      return kExitAuth;
    }
    std::cerr << "circuitctl poll: " << o.target << ": " << last.error << "\n";
    return kExitError;
  }
  if (last.error.rfind("no such interface", 0) == 0) {
    std::cerr << "circuitctl poll: " << o.target << ": " << last.error << "\n";
    return kExitNoInterface;
  }
  if (!last.error.empty()) {
    std::cerr << "circuitctl poll: " << o.target << ": " << last.error << "\n";
    return kExitError;
  }
  return 0;
}

}  // namespace

void addSnmpCommands(CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<PollOptions>();
  auto* sub = app.add_subcommand(
      "poll", "Poll one device once by SNMP and print what the daemon would see");
  sub->add_option("target", o->target, "ADDRESS[:PORT] of the agent ([v6]:port for IPv6)")
      ->required();
  auto* community =
      sub->add_option("--community", o->community, "SNMPv2c community (default public)");
  auto* user = sub->add_option("--user", o->user, "SNMPv3 user (authPriv with --priv-key)");
  sub->add_option("--auth-proto", o->auth_proto, "SNMPv3 authentication: SHA or SHA-256")
      ->needs(user);
  sub->add_option("--auth-key", o->auth_key, "SNMPv3 authentication passphrase")->needs(user);
  sub->add_option("--priv-proto", o->priv_proto, "SNMPv3 privacy: AES (AES-128)")->needs(user);
  sub->add_option("--priv-key", o->priv_key, "SNMPv3 privacy passphrase")->needs(user);
  community->excludes(user);
  sub->add_option("--if", o->interfaces, "Interface name to poll (repeatable)");
  sub->add_option("--if-source", o->if_source,
                  "Column the names are matched in: ifName, ifDescr or ifAlias");
  sub->add_option("--profile", o->profile,
                  "Vendor profile name (config/profiles) or path to a .toml");
  sub->add_option("--interval", o->interval_s, "Poll again after S seconds and print rates");
  sub->add_option("--timeout", o->timeout_s,
                  "Seconds before the first attempt times out (doubles per retry)");
  sub->add_option("--retries", o->retries, "Retries after a timeout");
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o] {
    const int rc = runPoll(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace circuitctl
