// circuitctl ping: one-shot ICMP probing with the daemon's prober and statistics (IcmpProber
// spreading the sends, ReachWindow computing loss, RTT and RFC 3550 jitter).
#include <netdb.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/runtime/system_clock.hpp"
#include "domain/core/reach_window.hpp"
#include "probes/icmp/icmp_prober.hpp"
#include "tools/circuitctl/commands.hpp"

namespace circuitctl {
namespace {

struct PingOptions {
  std::vector<std::string> targets;
  int count = 5;
  int interval_ms = 1000;
  int timeout_ms = 1000;
  int size = 56;
  std::string mode = "auto";
  bool json = false;
};

struct PingTarget {
  std::string name;     // as typed
  std::string address;  // literal probed
  circuitd::ReachWindow window;
  std::map<std::string, int> errors;
  int samples = 0;
};

// Literals pass through; names are resolved once, as the daemon's config loader would.
std::optional<std::string> resolve(const std::string& name, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_RAW;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    error = ::gai_strerror(rc);
    return std::nullopt;
  }
  char host[NI_MAXHOST];
  const int rc2 =
      ::getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(res);
  if (rc2 != 0) {
    error = ::gai_strerror(rc2);
    return std::nullopt;
  }
  return std::string(host);
}

nlohmann::json optionalNumber(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string ms(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

int runPing(const PingOptions& o) {
  if (o.count < 1 || o.interval_ms < 1 || o.timeout_ms < 1 || o.size < 16 || o.size > 1400) {
    std::cerr << "circuitctl ping: --count, --interval and --timeout must be positive and --size "
                 "within 16..1400\n";
    return 2;
  }
  if (o.mode != "auto" && o.mode != "raw" && o.mode != "datagram") {
    std::cerr << "circuitctl ping: --socket must be auto, raw or datagram, not '" << o.mode
              << "'\n";
    return 2;
  }
  circuitd::icmp::ProberOptions popts;
  popts.payload_size = static_cast<std::size_t>(o.size);
  popts.mode = o.mode == "raw"        ? circuitd::icmp::SocketMode::Raw
               : o.mode == "datagram" ? circuitd::icmp::SocketMode::Datagram
                                      : circuitd::icmp::SocketMode::Auto;
  // Every probe of the run stays in the window: the statistics cover all of them.
  const circuitd::Duration span{static_cast<long>(o.count) * o.interval_ms + o.timeout_ms +
                                3'600'000};
  std::vector<PingTarget> targets;
  std::map<std::string, std::size_t> by_address;
  for (const auto& name : o.targets) {
    std::string err;
    auto addr = resolve(name, err);
    if (!addr) {
      std::cerr << "circuitctl ping: " << name << ": " << err << "\n";
      return 2;
    }
    if (by_address.count(*addr)) continue;
    by_address[*addr] = targets.size();
    targets.push_back(PingTarget{
        name, *addr, circuitd::ReachWindow(span, static_cast<std::size_t>(o.count)), {}, 0});
  }

  boost::asio::io_context io;
  circuitd::SystemClock clock;
  std::size_t done = 0;
  circuitd::icmp::IcmpProber prober(
      io, clock,
      [&](const circuitd::ReachSample& s) {
        auto it = by_address.find(s.target);
        if (it == by_address.end()) return;
        PingTarget& t = targets[it->second];
        t.window.add(s);
        if (!s.replied) ++t.errors[s.error];
        if (++t.samples == o.count && ++done == targets.size()) io.stop();
      },
      popts);
  if (auto r = prober.start(); !r) {
    std::cerr << "circuitctl ping: " << r.error().str() << "\n";
    return 2;
  }
  circuitd::icmp::TargetOptions topts;
  topts.interval = circuitd::Duration{o.interval_ms};
  topts.timeout = circuitd::Duration{o.timeout_ms};
  topts.max_probes = static_cast<std::uint64_t>(o.count);
  for (const auto& t : targets) {
    if (auto r = prober.addTarget(t.address, topts); !r) {
      std::cerr << "circuitctl ping: " << t.name << ": " << r.error().what << "\n";
      return 2;
    }
  }
  // The last probe leaves within count intervals and ends within one timeout; the margin
  // covers scheduling on a loaded machine.
  io.run_for(
      std::chrono::milliseconds(static_cast<long>(o.count) * o.interval_ms + o.timeout_ms + 5000));
  prober.stop();

  const auto info = prober.socketInfo();
  bool all_answered = true;
  if (o.json) {
    nlohmann::json out;
    out["socket"] = {{"ipv4", info.v4_raw ? "raw" : "datagram"},
                     {"ipv6", info.v6_open ? (info.v6_raw ? "raw" : "datagram") : "unavailable"}};
    out["targets"] = nlohmann::json::array();
    for (const auto& t : targets) {
      const auto st = t.window.stats();
      all_answered = all_answered && st.received > 0;
      out["targets"].push_back({{"target", t.name},
                                {"address", t.address},
                                {"sent", st.sent},
                                {"received", st.received},
                                {"loss", st.loss_ratio},
                                {"min_ms", optionalNumber(st.min_ms)},
                                {"avg_ms", optionalNumber(st.avg_ms)},
                                {"max_ms", optionalNumber(st.max_ms)},
                                {"jitter_ms", optionalNumber(st.jitter_ms)},
                                {"errors", t.errors}});
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("%-28s %5s %5s %7s %9s %9s %9s %9s  %s\n", "TARGET", "SENT", "RECV", "LOSS",
                "MIN ms", "AVG ms", "MAX ms", "JITTER ms", "ERRORS");
    for (const auto& t : targets) {
      const auto st = t.window.stats();
      all_answered = all_answered && st.received > 0;
      std::string errs;
      for (const auto& [e, n] : t.errors)
        errs += (errs.empty() ? "" : ", ") + e + " x" + std::to_string(n);
      const std::string label = t.name == t.address ? t.name : t.name + " (" + t.address + ")";
      std::printf("%-28s %5zu %5zu %6.1f%% %9s %9s %9s %9s  %s\n", label.c_str(), st.sent,
                  st.received, 100.0 * st.loss_ratio, ms(st.min_ms).c_str(), ms(st.avg_ms).c_str(),
                  ms(st.max_ms).c_str(), ms(st.jitter_ms).c_str(), errs.c_str());
    }
  }
  return all_answered ? 0 : 1;
}

}  // namespace

void addProbeCommands(CLI::App& app, GlobalOptions&) {
  auto opts = std::make_shared<PingOptions>();
  auto* sub =
      app.add_subcommand("ping",
                         "Probe targets by ICMP echo as the daemon does; print sent/received/loss, "
                         "min/avg/max RTT and RFC 3550 jitter per target. Exit 0 when every target "
                         "answered, 1 when one did not, 2 on errors");
  sub->add_option("targets", opts->targets, "IPv4/IPv6 addresses or host names")->required();
  sub->add_option("-n,--count", opts->count, "Probes per target")->capture_default_str();
  sub->add_option("-i,--interval", opts->interval_ms, "Milliseconds between probes to one target")
      ->capture_default_str();
  sub->add_option("-t,--timeout", opts->timeout_ms, "Milliseconds before a probe counts as lost")
      ->capture_default_str();
  sub->add_option("-s,--size", opts->size, "ICMP payload bytes (16..1400)")->capture_default_str();
  sub->add_option("--socket", opts->mode, "auto, raw or datagram")->capture_default_str();
  sub->add_flag("--json", opts->json, "JSON output");
  sub->callback([opts] {
    const int rc = runPing(*opts);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace circuitctl
