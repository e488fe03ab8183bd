#include "domain/faults/lifecycle.hpp"

#include <algorithm>
#include <cstdio>

namespace circuitd::faults {

namespace {

void touch(Changes& out, const Fault& f) {
  for (auto& x : out.faults)
    if (x.id == f.id) {
      x = f;
      return;
    }
  out.faults.push_back(f);
}

void touchInterval(Changes& out, const OutageInterval& iv) {
  for (auto& x : out.intervals)
    if (x.circuit == iv.circuit && x.start == iv.start) {
      x = iv;
      return;
    }
  out.intervals.push_back(iv);
}

void touchIncident(Changes& out, const Incident& i) {
  for (auto& x : out.incidents)
    if (x.id == i.id) {
      x = i;
      return;
    }
  out.incidents.push_back(i);
}

std::string causeKey(const std::string& circuit, const std::string& cause) {
  return circuit + '\n' + cause;
}

bool isOutage(CircuitState s) {
  return s == CircuitState::Down || s == CircuitState::Degraded || s == CircuitState::Maintenance;
}

// Planned work announced with notice is not a fault to chase: it only counts in the SLA record.
bool isMaintenance(const EngineEvent& e) {
  return e.decision.state == CircuitState::Maintenance ||
         e.decision.location == FaultLocation::PlannedMaintenance;
}

}  // namespace

std::string faultId(std::int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "F-%06lld", static_cast<long long>(n));
  return buf;
}

std::optional<std::int64_t> parseFaultId(const std::string& id) {
  if (id.size() < 3 || id.compare(0, 2, "F-") != 0) return std::nullopt;
  std::int64_t n = 0;
  for (std::size_t i = 2; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9' || n > 1'000'000'000'000LL) return std::nullopt;
    n = n * 10 + (id[i] - '0');
  }
  return n;
}

FaultLifecycle::FaultLifecycle(LifecycleSettings settings) : settings_(settings) {}

void FaultLifecycle::restore(const std::vector<Fault>& faults,
                             const std::vector<OutageInterval>& open_intervals,
                             const std::vector<Incident>& incidents, std::int64_t max_id) {
  for (const auto& f : faults) {
    faults_[f.id] = f;
    if (isActive(f.state)) active_[f.circuit] = f.id;
    auto& latest = latest_[causeKey(f.circuit, f.cause)];
    if (latest.empty() || latest < f.id) latest = f.id;
    if (auto n = parseFaultId(f.id)) max_id = std::max(max_id, *n);
  }
  for (const auto& iv : open_intervals)
    if (!iv.end) open_intervals_[iv.circuit] = iv;
  for (const auto& i : incidents)
    if (!i.resolved_at) incidents_[i.id] = i;
  next_id_ = max_id + 1;
}

void FaultLifecycle::transition(Fault& f, TimePoint t, const std::string& actor, FaultState to,
                                const std::string& detail, Changes& out) {
  Transition tr;
  tr.fault_id = f.id;
  tr.seq = ++f.transitions;
  tr.time = t;
  tr.actor = actor;
  if (f.transitions > 1) tr.from = f.state;
  tr.to = to;
  tr.detail = detail;
  f.state = to;
  f.last_change = t;
  out.transitions.push_back(tr);
  touch(out, f);
}

Fault& FaultLifecycle::openFault(const EngineEvent& e, Changes& out) {
  const std::string cause(toString(e.decision.location));
  // A recurrence of the same cause soon after recovery is the same fault, not a new one. Only a
  // known cause identifies a fault: two outages whose cause is unknown may have nothing in
  // common, so an unknown cause never reopens anything.
  const bool known_cause = e.decision.location != FaultLocation::Unknown;
  auto lit = known_cause ? latest_.find(causeKey(e.circuit, cause)) : latest_.end();
  if (lit != latest_.end()) {
    auto fit = faults_.find(lit->second);
    if (fit != faults_.end()) {
      Fault& f = fit->second;
      if ((f.state == FaultState::Resolved || f.state == FaultState::Closed) && f.recovered_at &&
          e.time - *f.recovered_at <= settings_.reopen_window) {
        f.occurrences += 1;
        f.down_since = e.time;
        f.recovered_at.reset();
        f.resolved_at.reset();
        f.closed_at.reset();
        f.closed_by.clear();
        f.decision = e.decision;
        f.circuit_state = e.decision.state == CircuitState::Degraded ? CircuitState::Degraded
                                                                     : CircuitState::Down;
        transition(f, e.time, kEngineActor, FaultState::Open,
                   "reopened: occurrence " + std::to_string(f.occurrences), out);
        active_[f.circuit] = f.id;
        return f;
      }
    }
  }
  Fault f;
  f.id = faultId(next_id_++);
  f.circuit = e.circuit;
  f.cause = cause;
  f.incident = e.incident;
  f.root_cause = e.root_cause;
  f.first_seen = e.time;
  f.down_since = e.time;
  f.decision = e.decision;
  f.circuit_state =
      e.decision.state == CircuitState::Degraded ? CircuitState::Degraded : CircuitState::Down;
  auto [it, ok] = faults_.emplace(f.id, f);
  (void)ok;
  transition(it->second, e.time, kEngineActor, FaultState::Open, e.decision.summary, out);
  active_[e.circuit] = f.id;
  latest_[causeKey(e.circuit, cause)] = f.id;
  return it->second;
}

void FaultLifecycle::updateInterval(const std::string& circuit, const std::string& fault_id,
                                    TimePoint t, const Decision& d, bool maintenance,
                                    Changes& out) {
  const bool fm = d.location == FaultLocation::ForceMajeure;
  auto it = open_intervals_.find(circuit);
  if (it != open_intervals_.end()) {
    OutageInterval& iv = it->second;
    if (iv.maintenance == maintenance && iv.force_majeure == fm) {
      // Same kind of outage: the latest verdict applies to the whole stretch (the engine often
      // only learns who is responsible some minutes in).
      iv.party = d.party;
      iv.location = d.location;
      iv.clause = d.clause;
      if (iv.fault_id.empty()) iv.fault_id = fault_id;
      touchInterval(out, iv);
      return;
    }
    // Planned work that overruns, or a force-majeure declaration, splits the outage.
    endInterval(circuit, t, out);
  }
  OutageInterval iv;
  iv.circuit = circuit;
  iv.fault_id = fault_id;
  iv.start = t;
  iv.party = d.party;
  iv.location = d.location;
  iv.clause = d.clause;
  iv.maintenance = maintenance;
  iv.force_majeure = fm;
  open_intervals_[circuit] = iv;
  touchInterval(out, iv);
}

void FaultLifecycle::endInterval(const std::string& circuit, TimePoint t, Changes& out) {
  auto it = open_intervals_.find(circuit);
  if (it == open_intervals_.end()) return;
  it->second.end = std::max(t, it->second.start);
  touchInterval(out, it->second);
  open_intervals_.erase(it);
}

void FaultLifecycle::onOutage(const EngineEvent& e, Changes& out) {
  const bool maintenance = isMaintenance(e);
  std::string fault_id;
  auto ait = active_.find(e.circuit);
  if (ait != active_.end()) {
    Fault& f = faults_.at(ait->second);
    if (f.recovered_at) {
      // Down again within the hold-off: the fault never resolved; the up stretch was real.
      f.down_ms += (*f.recovered_at - *f.down_since).count();
      f.down_since = e.time;
      f.recovered_at.reset();
    }
    f.decision = e.decision;
    if (e.decision.state == CircuitState::Down || e.decision.state == CircuitState::Degraded)
      f.circuit_state = e.decision.state;
    if (!e.incident.empty()) f.incident = e.incident;
    if (!e.root_cause.empty()) f.root_cause = e.root_cause;
    touch(out, f);
    fault_id = f.id;
  } else if (!maintenance) {
    Fault& f = openFault(e, out);
    if (!e.incident.empty()) f.incident = e.incident;
    if (!e.root_cause.empty()) f.root_cause = e.root_cause;
    touch(out, f);
    fault_id = f.id;
  }
  updateInterval(e.circuit, fault_id, e.time, e.decision, maintenance, out);
}

void FaultLifecycle::onRecovery(const EngineEvent& e, Changes& out) {
  endInterval(e.circuit, e.time, out);
  auto ait = active_.find(e.circuit);
  if (ait == active_.end()) return;
  Fault& f = faults_.at(ait->second);
  if (!f.recovered_at) f.recovered_at = e.time;
  touch(out, f);
  if (settings_.hold_off.count() <= 0) out.merge(tick(e.time));
}

void FaultLifecycle::onIncident(const EngineEvent& e, Changes& out) {
  if (e.incident.empty()) return;
  Incident& inc = incidents_[e.incident];
  if (inc.id.empty()) {
    inc.id = e.incident;
    inc.opened_at = e.time;
  }
  if (!e.root_cause.empty()) inc.root_cause = e.root_cause;
  inc.circuits = e.circuits;
  inc.decision = e.decision;
  if (e.kind == EngineEventKind::IncidentResolved) inc.resolved_at = e.time;
  touchIncident(out, inc);
  for (const auto& c : e.circuits) {
    auto ait = active_.find(c);
    if (ait == active_.end()) continue;
    Fault& f = faults_.at(ait->second);
    if (f.incident == e.incident && f.root_cause == inc.root_cause) continue;
    f.incident = e.incident;
    f.root_cause = inc.root_cause;
    touch(out, f);
  }
  if (inc.resolved_at) incidents_.erase(e.incident);
}

Changes FaultLifecycle::apply(const EngineEvent& e) {
  Changes out = tick(e.time);
  switch (e.kind) {
    case EngineEventKind::CircuitStateChanged: {
      if (e.circuit.empty()) break;
      const CircuitState s = e.decision.state;
      if (isOutage(s))
        onOutage(e, out);
      else if (s == CircuitState::Up)
        onRecovery(e, out);
      // Unknown: the monitor cannot see the circuit; neither a recovery nor a new outage.
      break;
    }
    case EngineEventKind::IncidentOpened:
    case EngineEventKind::IncidentUpdated:
    case EngineEventKind::IncidentSplit:
    case EngineEventKind::IncidentResolved:
      onIncident(e, out);
      break;
    case EngineEventKind::MonitorBlind:
    case EngineEventKind::MonitorRecovered:
      break;
  }
  return out;
}

Changes FaultLifecycle::tick(TimePoint now) {
  Changes out;
  std::vector<std::pair<TimePoint, std::string>> due;
  for (const auto& [circuit, id] : active_) {
    const Fault& f = faults_.at(id);
    if (f.recovered_at && *f.recovered_at + settings_.hold_off <= now)
      due.emplace_back(*f.recovered_at + settings_.hold_off, id);
  }
  std::sort(due.begin(), due.end());
  for (const auto& [t, id] : due) {
    Fault& f = faults_.at(id);
    f.down_ms += (*f.recovered_at - *f.down_since).count();
    f.resolved_at = t;
    transition(f, t, kEngineActor, FaultState::Resolved,
               "recovered at " + formatIso(*f.recovered_at), out);
    active_.erase(f.circuit);
  }
  return out;
}

Result<Changes> FaultLifecycle::acknowledge(const std::string& id, const std::string& who,
                                            TimePoint t) {
  auto it = faults_.find(id);
  if (it == faults_.end()) return fail(id, "no such fault");
  if (who.empty()) return fail(id, "acknowledgement needs a name (who)");
  Fault& f = it->second;
  if (f.state != FaultState::Open)
    return fail(id, "fault is " + std::string(toString(f.state)) +
                        "; only an open fault can be acknowledged");
  Changes out;
  f.acked_by = who;
  f.acked_at = t;
  out.acks.push_back(Acknowledgement{id, t, who});
  transition(f, t, who, FaultState::Acknowledged, "", out);
  return out;
}

Result<Changes> FaultLifecycle::reportToCarrier(const std::string& id, const std::string& ticket,
                                                const std::string& who, TimePoint t) {
  auto it = faults_.find(id);
  if (it == faults_.end()) return fail(id, "no such fault");
  if (ticket.empty()) return fail(id, "the carrier's ticket number is required");
  if (who.empty()) return fail(id, "reporting needs a name (who)");
  Fault& f = it->second;
  if (f.state != FaultState::Open && f.state != FaultState::Acknowledged)
    return fail(id, "fault is " + std::string(toString(f.state)) +
                        "; only an open or acknowledged fault can be reported to the carrier");
  Changes out;
  f.ticket = ticket;
  f.reported_by = who;
  f.reported_at = t;
  transition(f, t, who, FaultState::Reported, "ticket " + ticket, out);
  return out;
}

Result<Changes> FaultLifecycle::close(const std::string& id, const std::string& who, TimePoint t,
                                      const std::string& reason) {
  auto it = faults_.find(id);
  if (it == faults_.end()) return fail(id, "no such fault");
  if (who.empty()) return fail(id, "closing needs a name (who)");
  Fault& f = it->second;
  if (f.state != FaultState::Resolved)
    return fail(id, "fault is " + std::string(toString(f.state)) +
                        "; a fault is closed after it has resolved");
  Changes out;
  f.closed_at = t;
  f.closed_by = who;
  transition(f, t, who, FaultState::Closed, reason, out);
  return out;
}

Result<Changes> FaultLifecycle::note(const std::string& id, const std::string& who, TimePoint t,
                                     const std::string& text, bool checked) {
  auto it = faults_.find(id);
  if (it == faults_.end()) return fail(id, "no such fault");
  if (who.empty()) return fail(id, "a note needs an author");
  if (text.empty()) return fail(id, "empty note");
  Changes out;
  out.notes.push_back(Note{id, t, who, text, checked});
  return out;
}

const Fault* FaultLifecycle::find(const std::string& id) const {
  auto it = faults_.find(id);
  return it == faults_.end() ? nullptr : &it->second;
}

const Fault* FaultLifecycle::activeFor(const std::string& circuit) const {
  auto it = active_.find(circuit);
  return it == active_.end() ? nullptr : find(it->second);
}

std::vector<Fault> FaultLifecycle::faults() const {
  std::vector<Fault> v;
  v.reserve(faults_.size());
  for (const auto& [id, f] : faults_) v.push_back(f);
  return v;
}

void FaultLifecycle::prune(TimePoint now) {
  for (auto it = faults_.begin(); it != faults_.end();) {
    const Fault& f = it->second;
    if (f.state == FaultState::Closed && f.recovered_at &&
        now - *f.recovered_at > settings_.reopen_window) {
      auto lit = latest_.find(causeKey(f.circuit, f.cause));
      if (lit != latest_.end() && lit->second == f.id) latest_.erase(lit);
      it = faults_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace circuitd::faults
