#pragma once
// Scenarios (docs/scenarios.md): a small inventory, engine settings, maintenance windows, a
// timeline of observations and expectations at given times, run through the engine by
// runScenario. Scenario files are read by config/scenario_file.hpp, which the tests and
// `circuitctl replay` share.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/decision.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"
#include "domain/engine/engine.hpp"
#include "domain/engine/rules.hpp"

namespace circuitd::engine {

/// One timeline entry: an observation (or a bare tick) at a time.
struct ScenarioStep {
  TimePoint time;
  std::optional<Observation> observation;  ///< empty: only advance engine time
  int line = 0;                            ///< line in the scenario file
};

/// One `[[expect]]` entry: what must hold at `at`.
struct Expectation {
  int line = 0;
  TimePoint at;
  std::string circuit;      ///< circuit checks (state, location, ...) apply to this circuit
  std::string incident;     ///< root cause of an open incident, e.g. "aggregation:agg-1"
  std::string incident_of;  ///< the open incident containing this circuit
  std::optional<CircuitState> state;
  std::optional<FaultLocation> location;
  std::optional<Party> party;
  std::optional<std::string> clause;
  std::optional<std::string> rule;
  std::optional<std::string> root;  ///< with incident_of: its root cause
  std::optional<bool> flapping;
  std::optional<std::string> next_step;  ///< substring the next_step must contain
  std::optional<bool> in_incident;
  std::optional<std::size_t> children;
  std::optional<std::size_t> open_incidents;
  std::optional<EngineEventKind> event;  ///< with count: events of this kind emitted so far
  std::optional<std::size_t> count;
  std::optional<std::size_t> alarms;  ///< alarms raised so far (see docs/scenarios.md)
  std::optional<bool> monitor_blind;
};

/// A parsed scenario.
struct Scenario {
  std::string name;
  std::string description;
  std::string origin;  ///< file name used in messages
  TimePoint start;
  Inventory inventory;
  EngineSettings settings;
  std::string rules_file;                 ///< optional rules file, relative to the scenario file
  std::vector<ScenarioStep> steps;        ///< sorted by time (stable)
  std::vector<Expectation> expectations;  ///< sorted by time (stable)
};

/// Outcome of one expectation.
struct ExpectationResult {
  Expectation expectation;
  bool ok = false;
  std::string message;  ///< "origin:line: expected X, got Y" on failure, a short summary on success
};

/// Everything a replay produced.
struct ReplayResult {
  std::vector<EngineEvent> events;        ///< in time order
  std::vector<ExpectationResult> checks;  ///< in time order
  std::vector<IncidentView> open_at_end;  ///< incidents still open at the end
  std::vector<CircuitView> circuits_at_end;
  TimePoint start;
  TimePoint end;
  /// True when every expectation held.
  bool ok() const {
    for (const auto& c : checks)
      if (!c.ok) return false;
    return true;
  }
};

/// Runs the scenario through a fresh engine with these rules.
ReplayResult runScenario(const Scenario& s, const Rules& rules);

/// Readable timeline of a replay: state changes, incidents, locations, parties, clauses, checks.
std::string renderTimeline(const Scenario& s, const ReplayResult& r, bool verbose = false);

}  // namespace circuitd::engine
