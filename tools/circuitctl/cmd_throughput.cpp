// circuitctl test-throughput (active TWAMP-Light test to a reflector, guarded by the circuit's
// contracted rate and a maximum duration) and pcap-stats (per-circuit table from a capture file,
// through the same code the daemon uses on a live mirror port).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"
#include "probes/capture/pcap_source.hpp"
#include "probes/capture/traffic_counter.hpp"
#include "probes/throughput/test_plan.hpp"
#include "probes/throughput/twamp_codec.hpp"
#include "probes/throughput/twamp_transport.hpp"
#include "tools/circuitctl/commands.hpp"

namespace circuitctl {
namespace {

namespace tp = circuitd::throughput;
namespace cap = circuitd::capture;

struct ThroughputOptions {
  std::string link;
  std::string config;
  std::string to;
  std::string rate;
  double seconds = 5;
  double max_seconds = 60;
  std::size_t size = 1400;
  std::size_t train = 1;
  bool json = false;
};

struct PcapOptions {
  std::string file;
  std::string config;
  bool json = false;
  bool no_filter = false;
};

/// Loads the configuration, printing every error; nullopt when it cannot be used.
std::optional<circuitd::config::Config> loadConfig(const std::string& path, const char* cmd) {
  // These commands read the inventory only: whoever runs them need not be able to write the
  // daemon's store.
  auto r = circuitd::config::load(path, {.check_store = false});
  for (const auto& w : r.warnings)
    std::cerr << "circuitctl " << cmd << ": warning: " << w.str() << "\n";
  if (!r.config) {
    for (const auto& e : r.errors) std::cerr << "circuitctl " << cmd << ": " << e.str() << "\n";
    if (r.errors.empty()) std::cerr << "circuitctl " << cmd << ": cannot load " << path << "\n";
    return std::nullopt;
  }
  return std::move(r.config);
}

nlohmann::json opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json reportJson(const tp::TestReport& r) {
  nlohmann::ordered_json j;
  j["circuit"] = r.circuit;
  j["target"] = r.target;
  j["packet_size"] = r.packet_size;
  j["wire_size"] = r.wire_size;
  j["seconds"] = r.seconds;
  j["offered_bps"] = r.offered_bps;
  j["sent_bps"] = r.sent_bps;
  j["reflector_rx_bps"] = r.reflector_rx_bps;
  j["returned_bps"] = r.returned_bps;
  j["sent"] = r.sent;
  j["reflected"] = r.reflected;
  j["returned"] = r.returned;
  j["duplicates"] = r.duplicates;
  j["invalid_replies"] = r.invalid_replies;
  j["send_error"] = r.send_error;
  j["forward_loss"] = r.forward_loss;
  j["reverse_loss"] = r.reverse_loss;
  j["rtt_min_ms"] = opt(r.rtt_min_ms);
  j["rtt_avg_ms"] = opt(r.rtt_avg_ms);
  j["rtt_max_ms"] = opt(r.rtt_max_ms);
  j["jitter_ms"] = opt(r.jitter_ms);
  j["hops"] = r.hops ? nlohmann::json(*r.hops) : nlohmann::json(nullptr);
  j["timestamp_error_ms"] = r.timestamp_error_ms;
  j["train_length"] = r.train_length;
  j["trains_used"] = r.trains_used;
  j["capacity_bps"] = opt(r.capacity_bps);
  j["capacity_error_bps"] = opt(r.capacity_error_bps);
  return j;
}

int runThroughput(const ThroughputOptions& o, const GlobalOptions& g) {
  const char* cmd = "test-throughput";
  tp::TestPlan plan;
  tp::TestLimits limits;
  limits.max_seconds = o.max_seconds;
  if (!o.link.empty()) {
    const std::string cfg_path = !o.config.empty() ? o.config : g.config;
    if (cfg_path.empty()) {
      std::cerr
          << "circuitctl test-throughput: LINK_ID needs --config (or use --to ADDRESS --rate R)\n";
      return 2;
    }
    auto cfg = loadConfig(cfg_path, cmd);
    if (!cfg) return 2;
    const circuitd::Circuit* circuit = cfg->inventory.findCircuit(o.link);
    for (const auto& c : cfg->inventory.circuits)
      if (!circuit && c.link_id == o.link) circuit = &c;
    if (!circuit) {
      std::cerr << "circuitctl test-throughput: no circuit " << o.link << " in " << cfg_path
                << "\n";
      return 2;
    }
    // --to stands in for a circuit that has no `reflector` key yet.
    circuitd::Circuit target = *circuit;
    if (target.reflector.empty() && !o.to.empty()) target.reflector = o.to;
    auto p = tp::planForCircuit(target, o.seconds);
    if (!p) {
      std::cerr << "circuitctl test-throughput: " << p.error().str() << "\n";
      return 2;
    }
    plan = *p;
    limits.contracted_bps = plan.rate_bps;
    if (!o.to.empty()) {
      auto hp = tp::parseHostPort(o.to, tp::kDefaultReflectorPort);
      if (!hp) {
        std::cerr << "circuitctl test-throughput: --to: " << hp.error().what << "\n";
        return 2;
      }
      plan.host = hp->host;
      plan.port = hp->port;
    }
  } else {
    if (o.to.empty() || o.rate.empty()) {
      std::cerr << "circuitctl test-throughput: give LINK_ID, or --to ADDRESS[:PORT] with --rate\n";
      return 2;
    }
    auto hp = tp::parseHostPort(o.to, tp::kDefaultReflectorPort);
    if (!hp) {
      std::cerr << "circuitctl test-throughput: --to: " << hp.error().what << "\n";
      return 2;
    }
    plan.host = hp->host;
    plan.port = hp->port;
    plan.seconds = o.seconds;
  }
  if (!o.rate.empty()) {
    auto r = tp::parseRate(o.rate);
    if (!r) {
      std::cerr << "circuitctl test-throughput: --rate: " << r.error().what << "\n";
      return 2;
    }
    plan.rate_bps = *r;
  }
  plan.packet_size = o.size;
  plan.train_length = o.train;
  if (auto ok = tp::checkPlan(plan, limits); !ok) {
    std::cerr << "circuitctl test-throughput: " << ok.error().str() << "\n";
    return 3;
  }
  auto rep = tp::runTest(plan, limits);
  if (!rep) {
    std::cerr << "circuitctl test-throughput: " << rep.error().str() << "\n";
    return 1;
  }
  if (o.json)
    std::cout << reportJson(*rep).dump(2) << "\n";
  else
    std::cout << tp::formatReport(*rep);
  // No reply at all means the reflector or the path is down: say so in the exit code.
  return rep->returned > 0 ? 0 : 1;
}

int runPcapStats(const PcapOptions& o, const GlobalOptions& g) {
  circuitd::Inventory inventory;
  const std::string cfg_path = !o.config.empty() ? o.config : g.config;
  if (!cfg_path.empty()) {
    auto cfg = loadConfig(cfg_path, "pcap-stats");
    if (!cfg) return 2;
    inventory = cfg->inventory;
  }
  auto counter = cap::TrafficCounter::create(inventory);
  if (!counter) {
    std::cerr << "circuitctl pcap-stats: " << cfg_path << ": " << counter.error().str() << "\n";
    return 2;
  }
  cap::CaptureOptions copt;
  copt.apply_filter = !o.no_filter;
  auto r = cap::readFile(o.file, *counter, {}, copt);
  if (o.json)
    std::cout << cap::formatJson(*counter) << "\n";
  else
    std::cout << cap::formatTable(*counter);
  if (!r) {
    std::cerr << "circuitctl pcap-stats: " << r.error().str() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void addThroughputCommands(CLI::App& app, GlobalOptions& g) {
  auto to = std::make_shared<ThroughputOptions>();
  auto* t = app.add_subcommand("test-throughput",
                               "Run an active TWAMP-Light throughput test to a reflector");
  t->add_option("LINK_ID", to->link,
                "Circuit (key or link_id): rate = contracted bandwidth, "
                "reflector = its `reflector` key");
  t->add_option("--config", to->config, "circuitd configuration file");
  t->add_option("--to", to->to, "Reflector ADDRESS[:PORT] (default port 862)");
  t->add_option("--rate", to->rate, "Rate at the IP layer, e.g. 20M (never above the contract)");
  t->add_option("--seconds", to->seconds, "Sending time")->capture_default_str();
  t->add_option("--max-seconds", to->max_seconds, "Refuse tests longer than this")
      ->capture_default_str();
  t->add_option("--size", to->size, "UDP payload octets per packet (>= 41)")->capture_default_str();
  t->add_option("--train", to->train,
                "Send back-to-back trains of N packets and estimate the "
                "bottleneck capacity from their dispersion (use a low --rate)")
      ->capture_default_str();
  t->add_flag("--json", to->json, "JSON output");
  t->callback([to, &g] {
    const int rc = runThroughput(*to, g);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });

  auto po = std::make_shared<PcapOptions>();
  auto* p =
      app.add_subcommand("pcap-stats", "Per-circuit traffic and CFM MEP table from a capture file");
  p->add_option("FILE", po->file, "pcap or pcapng file (Ethernet)")->required();
  p->add_option("--config", po->config,
                "circuitd configuration (circuits keyed by vlan or prefix)");
  p->add_flag("--json", po->json, "JSON output");
  p->add_flag("--no-filter", po->no_filter, "Do not apply the BPF filter built from the config");
  p->callback([po, &g] {
    const int rc = runPcapStats(*po, g);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace circuitctl
