// Storm benchmark (issue 6): 100,000 circuits on 25,000 carrier devices behind 10 aggregation
// nodes; node agg-0 (10,000 circuits) fails. Prints the wall time from the last sample to the
// single incident, the whole storm's processing time, and memory per circuit (RSS delta and
// sizeof-based), each as a ratio to its target (1 s, 2 KB). Figures only; nothing is asserted.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "config/rules_file.hpp"
#include "domain/engine/engine.hpp"

using namespace circuitd;
using namespace circuitd::engine;

namespace {

constexpr int kCircuits = 100000;
constexpr int kPerDevice = 4;
constexpr int kDevices = kCircuits / kPerDevice;
constexpr int kAggs = 10;

long rssKb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Distinct loopback addresses (targets are only names to the engine; nothing is sent).
std::string ip(int a, int i) {
  return "127." + std::to_string(a + (i >> 16)) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255);
}

Inventory build() {
  Inventory inv;
  inv.devices.reserve(kDevices);
  inv.circuits.reserve(kCircuits);
  for (int d = 0; d < kDevices; ++d) {
    Device dev;
    dev.name = "stn-" + std::to_string(d);
    dev.site = "site-" + std::to_string(d);
    dev.aggregation = "agg-" + std::to_string(d % kAggs);
    inv.devices.push_back(std::move(dev));
    for (int k = 0; k < kPerDevice; ++k) {
      const int c = d * kPerDevice + k;
      Circuit ci;
      ci.key = "STN" + std::to_string(9914400000LL + c);
      ci.link_id = ci.key;
      ci.contract = "XJWLM2405957CGN00";
      ci.site = "site-" + std::to_string(d);
      ci.service = "视频专网 STN";
      ci.bandwidth_mbps = 100;
      ci.device = inv.devices.back().name;
      ci.uni_interface = "GE0/2/" + std::to_string(k + 1);
      ci.uplink_interfaces = {"GE0/1/0"};
      ci.carrier_target = ip(10, d);
      ci.customer_target = ip(20, c);
      inv.circuits.push_back(std::move(ci));
    }
  }
  return inv;
}

TimePoint t0() { return *parseIso("2024-07-01T08:00:00+08:00"); }

// One poll + ping round at second s; devices on agg-0 silent when `storm`.
void round(Engine& e, const Inventory& inv, int s, bool storm, bool only_failing = false) {
  const TimePoint t = t0() + std::chrono::seconds{s};
  for (int d = 0; d < kDevices; ++d) {
    const bool bad = storm && d % kAggs == 0;
    if (only_failing && !bad) continue;
    DevicePoll p;
    p.device = inv.devices[d].name;
    p.time = t;
    p.reachable = !bad;
    e.observe(p);
    ReachSample r;
    r.time = t;
    r.replied = !bad;
    if (!bad) r.rtt_ms = 3.0;
    r.target = inv.circuits[d * kPerDevice].carrier_target;
    e.observe(r);
    for (int k = 0; k < kPerDevice; ++k) {
      r.target = inv.circuits[d * kPerDevice + k].customer_target;
      e.observe(r);
    }
  }
}

double secondsSince(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

}  // namespace

int main() {
  Inventory inv = build();
  EngineSettings st;  // defaults: N=3 of M=5, K=3, correlation window 60 s
  malloc_trim(0);
  const long rss0 = rssKb();
  auto eng = std::make_unique<Engine>(inv, config::defaultRules(), st);
  for (int s = 0; s < 40; s += 10) round(*eng, inv, s, false);
  eng->tick(t0() + std::chrono::seconds{40});
  eng->drain();
  // Count retained memory, not the allocator's cache of freed warm-up events.
  malloc_trim(0);
  const long rss1 = rssKb();
  auto counts = eng->stateCounts();
  std::printf("fleet: %d circuits, %d devices, %d aggregation nodes; up after warm-up: %zu\n",
              kCircuits, kDevices, kAggs, counts[static_cast<int>(CircuitState::Up)]);

  // The storm: agg-0's 2,500 devices and 10,000 circuits stop answering for three rounds.
  const auto storm_start = std::chrono::steady_clock::now();
  round(*eng, inv, 40, true);
  round(*eng, inv, 50, true);
  round(*eng, inv, 60, true, true);  // the last round carries only the failing samples
  const double storm_s = secondsSince(storm_start);
  const auto last_sample = std::chrono::steady_clock::now();
  // Circuits go down on the third failing round (60 s); engine time moves to the correlation
  // window's close, when the incident is emitted.
  eng->tick(t0() + std::chrono::seconds{60} + st.correlation_window);
  auto ev = eng->drain();
  const double to_incident_s = secondsSince(last_sample);
  std::size_t opened = 0, children = 0, alarms = 0, changes = 0, other = 0;
  std::string root;
  for (const auto& e : ev) {
    if (e.kind == EngineEventKind::IncidentOpened)
      ++opened, children = e.circuits.size(), root = e.root_cause;
    if (e.kind == EngineEventKind::CircuitStateChanged) ++changes, alarms += e.suppressed ? 0 : 1;
    if (e.kind != EngineEventKind::CircuitStateChanged && e.kind != EngineEventKind::IncidentOpened)
      ++other;
  }
  // Events of the storm rounds were drained with the tick: count them too.
  counts = eng->stateCounts();
  std::printf(
      "storm: %zu incident(s) opened, root %s, %zu children, %zu circuit state changes (%zu "
      "unsuppressed), "
      "%zu other events; now %zu down, %zu up\n",
      opened, root.c_str(), children, changes, alarms, other,
      counts[static_cast<int>(CircuitState::Down)], counts[static_cast<int>(CircuitState::Up)]);
  std::printf("storm processing (3 rounds, %d + %d + %d observations): %.3f s\n", kDevices * 6,
              kDevices * 6, kDevices / kAggs * 6, storm_s);
  std::printf(
      "last sample -> single incident (wall, engine time advanced by the %lld s correlation "
      "window): %.3f s"
      "  ratio to 1 s target: %.3f\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::seconds>(st.correlation_window).count()),
      to_incident_s, to_incident_s / 1.0);
  // Recovery: agg-0 answers again; K = 3 good rounds bring its 10,000 circuits back.
  const auto rec_start = std::chrono::steady_clock::now();
  for (int s = 130; s < 160; s += 10) round(*eng, inv, s, false);
  eng->tick(t0() + std::chrono::seconds{170});
  auto rev = eng->drain();
  const double rec_s = secondsSince(rec_start);
  std::size_t splits = 0, resolved = 0;
  for (const auto& e : rev) {
    splits += e.kind == EngineEventKind::IncidentSplit ? 1 : 0;
    resolved += e.kind == EngineEventKind::IncidentResolved ? 1 : 0;
  }
  std::printf(
      "recovery (3 rounds of %d observations): %.3f s, %zu split(s), %zu resolved, %zu still "
      "open\n",
      kDevices * 6, rec_s, splits, resolved, eng->openIncidents().size());
  const double rss_per = (rss1 - rss0) * 1024.0 / kCircuits;
  const double sz_per = static_cast<double>(eng->stateBytesPerCircuit());
  std::printf(
      "memory per circuit: RSS delta %.0f B (%.3f of 2 KB), sizeof-based %.0f B (%.3f of 2 KB)\n",
      rss_per, rss_per / 2048.0, sz_per, sz_per / 2048.0);
  return opened == 1 ? 0 : 1;
}
