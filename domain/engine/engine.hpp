#pragma once
// The decision engine: per-circuit state with hysteresis and flap damping, the evidence at each
// decision, demarcation by rules, correlation of outages into incidents and monitor self-health.
// Pure: observations carry their time, tick(now) evaluates timeouts; nothing here reads a clock.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/decision.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"
#include "domain/core/time.hpp"
#include "domain/engine/rules.hpp"

namespace circuitd::engine {

/// Tunables of the engine (docs/engine.md explains each).
struct EngineSettings {
  int down_n = 3;      ///< N failing samples of the last M take a circuit down
  int window_m = 5;    ///< M, the hysteresis window in samples (at most 16)
  int recover_k = 3;   ///< K consecutive good samples bring it back
  int flap_count = 5;  ///< this many outages inside flap_window make it flapping
  Duration flap_window{std::chrono::minutes{10}};
  Duration flap_hold{std::chrono::minutes{10}};     ///< quiet time before a flapping circuit is up
  Duration stale_after{std::chrono::seconds{120}};  ///< no sample for this long: UNKNOWN
  Duration correlation_window{std::chrono::seconds{60}};  ///< outages starting together
  Duration late_join{
      std::chrono::minutes{10}};  ///< later outages sharing a scope join the incident
  Duration trap_window{std::chrono::minutes{10}};    ///< a dying gasp explains silence this long
  Duration reboot_window{std::chrono::minutes{10}};  ///< sysUpTime reset stays evidence this long
  Duration maintenance_notice{std::chrono::hours{24}};  ///< lead time counted as "advance" (7.6)
  double optical_low_dbm = -25.0;  ///< line-side rx below this: degraded (carrier line)
  double optical_los_dbm = -35.0;  ///< line-side rx at or below this: loss of signal
  double loss_high = 0.05;         ///< loss ratio over the ICMP window past which: degraded
  double latency_high_ms = 150.0;  ///< mean RTT past which: degraded
  double utilisation_high = 0.95;  ///< UNI utilisation (of the contracted rate) counted as full
  int icmp_window = 10;            ///< ICMP samples per target kept for loss/latency (at most 16)
  int blind_min_targets = 3;       ///< "all probes fail at once" needs at least this many targets
};

/// Current view of one circuit.
struct CircuitView {
  std::string key;
  CircuitState state = CircuitState::Unknown;
  Decision decision;
  bool flapping = false;
  std::string incident;  ///< open incident it belongs to, or empty
  TimePoint since;       ///< when the state began
};

/// Current view of one open incident.
struct IncidentView {
  std::string id;
  std::string root_cause;
  std::vector<std::string> circuits;
  TimePoint opened;
  bool flapping = false;
  bool pending = false;  ///< still inside its correlation window (not yet announced)
  Decision decision;
};

/// The decision engine. Not thread-safe; one owner feeds it in time order.
class Engine {
 public:
  /// Builds the engine over an inventory with a rule set and settings.
  Engine(const Inventory& inventory, Rules rules, EngineSettings settings = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Feeds one observation (time order expected; older ones are still applied).
  void observe(const Observation& o);
  /// Advances engine time: staleness, flap hold, correlation windows.
  void tick(TimePoint now);
  /// Emits what is held to batch one instant (splits of recovering children); observe() and
  /// tick() do it once time moves past the instant.
  void flush();
  /// Returns and clears the events emitted since the last drain, in time order.
  std::vector<EngineEvent> drain();
  /// Replaces the inventory (config reload); circuits whose definition is unchanged keep state.
  void setInventory(const Inventory& inventory);

  /// The circuit's current view, or nullopt for an unknown key.
  std::optional<CircuitView> circuit(const std::string& key) const;
  /// All circuits' current views, in inventory order.
  std::vector<CircuitView> circuits() const;
  /// Open incidents (announced and pending), oldest first.
  std::vector<IncidentView> openIncidents() const;
  /// True while the monitor is blind.
  bool monitorBlind() const;
  /// Number of circuits in each state, indexed by CircuitState.
  std::vector<std::size_t> stateCounts() const;
  /// Bytes of engine state per circuit, computed from sizeof (for the benchmark).
  std::size_t stateBytesPerCircuit() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace circuitd::engine
