#pragma once
// The fault lifecycle: turns the engine's events into faults, transitions and outage intervals,
// and applies what people do (acknowledge, report to the carrier, close, note). Pure and
// clock-free: every call takes the time it happens at, so a replay gives the same faults.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/decision.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"
#include "domain/faults/fault.hpp"

namespace circuitd::faults {

/// Tunables of the lifecycle.
struct LifecycleSettings {
  Duration hold_off{std::chrono::minutes{2}};     ///< up this long before a fault resolves
  Duration reopen_window{std::chrono::hours{1}};  ///< a recurrence this soon reopens the fault
};

/// Actor name recorded for automatic transitions.
inline constexpr const char* kEngineActor = "engine";

/// The state machine over all faults that may still change.
class FaultLifecycle {
 public:
  /// A lifecycle with no faults yet.
  explicit FaultLifecycle(LifecycleSettings settings = {});

  /// Loads faults, open intervals and incidents read back from a store; next id follows max_id.
  void restore(const std::vector<Fault>& faults, const std::vector<OutageInterval>& open_intervals,
               const std::vector<Incident>& incidents, std::int64_t max_id);

  /// Applies one engine event (first resolving every hold-off that expired before it).
  Changes apply(const EngineEvent& e);
  /// Resolves faults whose hold-off expired at or before now.
  Changes tick(TimePoint now);

  /// open -> acknowledged by who at t.
  Result<Changes> acknowledge(const std::string& id, const std::string& who, TimePoint t);
  /// open/acknowledged -> reported, with the carrier's hotline ticket number.
  Result<Changes> reportToCarrier(const std::string& id, const std::string& ticket,
                                  const std::string& who, TimePoint t);
  /// resolved -> closed by a person.
  Result<Changes> close(const std::string& id, const std::string& who, TimePoint t,
                        const std::string& reason);
  /// Adds a note; checked = something the customer side has already verified.
  Result<Changes> note(const std::string& id, const std::string& who, TimePoint t,
                       const std::string& text, bool checked);

  /// The fault with this id, or nullptr.
  const Fault* find(const std::string& id) const;
  /// The active fault of a circuit, or nullptr.
  const Fault* activeFor(const std::string& circuit) const;
  /// Every fault held, ordered by id.
  std::vector<Fault> faults() const;
  /// Number of the last fault id handed out.
  std::int64_t maxId() const { return next_id_ - 1; }
  /// Forgets closed faults that can no longer reopen (recovered before now - reopen window).
  void prune(TimePoint now);

 private:
  Fault& openFault(const EngineEvent& e, Changes& out);
  void transition(Fault& f, TimePoint t, const std::string& actor, FaultState to,
                  const std::string& detail, Changes& out);
  void onOutage(const EngineEvent& e, Changes& out);
  void onRecovery(const EngineEvent& e, Changes& out);
  void onIncident(const EngineEvent& e, Changes& out);
  void updateInterval(const std::string& circuit, const std::string& fault_id, TimePoint t,
                      const Decision& d, bool maintenance, Changes& out);
  void endInterval(const std::string& circuit, TimePoint t, Changes& out);

  LifecycleSettings settings_;
  std::int64_t next_id_ = 1;
  std::map<std::string, Fault> faults_;                   // by id
  std::map<std::string, std::string> active_;             // circuit -> fault id
  std::map<std::string, std::string> latest_;             // circuit + '\n' + cause -> id
  std::map<std::string, OutageInterval> open_intervals_;  // by circuit
  std::map<std::string, Incident> incidents_;             // open incidents by id
};

/// Formats a fault id from its number: 7 -> "F-000007".
std::string faultId(std::int64_t n);
/// Parses "F-000007" -> 7; nullopt when malformed.
std::optional<std::int64_t> parseFaultId(const std::string& id);

}  // namespace circuitd::faults
