#pragma once
// A fault is one circuit's outage with one cause, followed from detection to a person closing it:
// open (automatic) -> acknowledged -> reported to the carrier -> resolved (automatic, after a
// hold-off) -> closed (by a person). Plain data; the lifecycle (lifecycle.hpp) moves it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/decision.hpp"
#include "domain/core/time.hpp"

namespace circuitd::faults {

/// Lifecycle states, in the order a fault normally passes them.
enum class FaultState { Open, Acknowledged, Reported, Resolved, Closed };

/// Stable lower-case name ("open", "acknowledged", "reported", "resolved", "closed").
std::string_view toString(FaultState s);
/// Inverse of toString; nullopt for an unknown name.
std::optional<FaultState> parseFaultState(std::string_view s);
/// True while the fault needs attention (open, acknowledged or reported).
bool isActive(FaultState s);

/// One fault: one circuit, one cause.
struct Fault {
  std::string id;          ///< "F-000001", assigned in order of opening
  std::string circuit;     ///< circuit key
  std::string cause;       ///< fault location at opening (toString(FaultLocation)); fixed
  std::string incident;    ///< engine incident id, empty when none
  std::string root_cause;  ///< engine root cause, e.g. "device:atn-01"
  FaultState state = FaultState::Open;
  CircuitState circuit_state = CircuitState::Down;  ///< last outage state seen (down/degraded)
  TimePoint first_seen;                             ///< when the outage began (first occurrence)
  TimePoint last_change;                            ///< time of the last transition
  std::optional<TimePoint> down_since;              ///< start of the current occurrence
  std::optional<TimePoint> recovered_at;  ///< circuit came back up (hold-off running or done)
  std::optional<TimePoint> resolved_at;
  std::optional<TimePoint> closed_at;
  std::string acked_by;
  std::optional<TimePoint> acked_at;
  std::string ticket;  ///< carrier hotline ticket number
  std::string reported_by;
  std::optional<TimePoint> reported_at;
  std::string closed_by;
  int occurrences = 1;       ///< 1 + number of reopenings
  int transitions = 0;       ///< number of transitions so far (next one gets this + 1)
  std::int64_t down_ms = 0;  ///< outage time of finished occurrences, milliseconds
  Decision decision;         ///< the engine's latest verdict for this circuit
};

/// One entry of the append-only transition log.
struct Transition {
  std::string fault_id;
  int seq = 0;  ///< 1, 2, ... per fault; (fault_id, seq) is unique
  TimePoint time;
  std::string actor;               ///< "engine" or the person's name
  std::optional<FaultState> from;  ///< nullopt for the opening
  FaultState to = FaultState::Open;
  std::string detail;  ///< e.g. the ticket number, "reopened", the close reason

  /// Idempotency key of the notifications for this transition: "<fault_id>/<seq>".
  std::string key() const { return fault_id + "/" + std::to_string(seq); }
};

/// A free-text note on a fault; `checked` marks what the customer side has already verified.
struct Note {
  std::string fault_id;
  TimePoint time;
  std::string author;
  std::string text;
  bool checked = false;
};

/// An acknowledgement (who, when), kept separately from the transition log.
struct Acknowledgement {
  std::string fault_id;
  TimePoint time;
  std::string who;
};

/// An engine incident: one root cause and the circuits it takes down.
struct Incident {
  std::string id;
  std::string root_cause;
  TimePoint opened_at;
  std::optional<TimePoint> resolved_at;
  std::vector<std::string> circuits;
  Decision decision;
};

/// One stretch of a circuit's outage with one attribution, for the SLA record.
struct OutageInterval {
  std::string circuit;
  std::string fault_id;  ///< empty for planned maintenance without a fault
  TimePoint start;
  std::optional<TimePoint> end;  ///< nullopt while the outage lasts
  Party party = Party::Undetermined;
  FaultLocation location = FaultLocation::Unknown;
  std::string clause;
  bool maintenance = false;    ///< announced carrier work (7.6), excluded from availability
  bool force_majeure = false;  ///< clause 11.1, excluded from availability
};

/// Everything one step of the lifecycle changed; the store writes it in one transaction.
struct Changes {
  std::vector<Fault> faults;            ///< new or changed faults, final state
  std::vector<Transition> transitions;  ///< new log entries, in order
  std::vector<Note> notes;
  std::vector<Acknowledgement> acks;
  std::vector<Incident> incidents;        ///< new or changed incidents
  std::vector<OutageInterval> intervals;  ///< new or changed intervals (key: circuit + start)
  /// True when nothing changed.
  bool empty() const {
    return faults.empty() && transitions.empty() && notes.empty() && acks.empty() &&
           incidents.empty() && intervals.empty();
  }
  /// Appends other, keeping only the last version of each fault, incident and interval.
  void merge(const Changes& other);
};

}  // namespace circuitd::faults
