// Scenario runner: feeds the timeline to a fresh engine, checks each expectation at its time and
// renders what happened. Reading scenario files is config/scenario_file.cpp's job.
#include "domain/engine/scenario.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace circuitd::engine {

namespace {

bool isOutage(CircuitState s) {
  return s == CircuitState::Down || s == CircuitState::Degraded || s == CircuitState::Maintenance;
}

std::size_t countAlarms(const std::vector<EngineEvent>& ev) {
  std::size_t n = 0;
  for (const auto& e : ev) {
    if (e.kind == EngineEventKind::IncidentOpened || e.kind == EngineEventKind::MonitorBlind) ++n;
    if (e.kind == EngineEventKind::CircuitStateChanged && !e.suppressed &&
        isOutage(e.decision.state))
      ++n;
  }
  return n;
}

void checkDecision(const Expectation& x, const Decision& d, std::vector<std::string>& bad) {
  if (x.location && *x.location != d.location)
    bad.push_back("location " + std::string(toString(*x.location)) +
                  " != " + std::string(toString(d.location)));
  if (x.party && *x.party != d.party)
    bad.push_back("party " + std::string(toString(*x.party)) +
                  " != " + std::string(toString(d.party)));
  if (x.clause && *x.clause != d.clause)
    bad.push_back("clause '" + *x.clause + "' != '" + d.clause + "'");
  if (x.rule && *x.rule != d.rule_id)
    bad.push_back("rule '" + *x.rule + "' != '" + d.rule_id + "'");
  if (x.next_step && d.next_step.find(*x.next_step) == std::string::npos)
    bad.push_back("next_step lacks '" + *x.next_step + "' (is '" + d.next_step + "')");
}

ExpectationResult check(const Expectation& x, const Engine& eng,
                        const std::vector<EngineEvent>& events, const std::string& origin) {
  std::vector<std::string> bad;
  std::string subject;
  if (!x.circuit.empty() && x.incident.empty() && x.incident_of.empty()) {
    subject = x.circuit;
    auto c = eng.circuit(x.circuit);
    if (x.state && *x.state != c->state)
      bad.push_back("state " + std::string(toString(*x.state)) +
                    " != " + std::string(toString(c->state)));
    if (x.flapping && *x.flapping != c->flapping)
      bad.push_back(std::string("flapping ") + (c->flapping ? "true" : "false"));
    if (x.in_incident && *x.in_incident != !c->incident.empty())
      bad.push_back(c->incident.empty() ? "not in an incident" : "in incident " + c->incident);
    checkDecision(x, c->decision, bad);
  }
  if (!x.incident.empty() || !x.incident_of.empty()) {
    auto open = eng.openIncidents();
    const IncidentView* found = nullptr;
    for (const auto& i : open) {
      if (!x.incident.empty() && i.root_cause == x.incident) found = &i;
      if (!x.incident_of.empty() &&
          std::find(i.circuits.begin(), i.circuits.end(), x.incident_of) != i.circuits.end())
        found = &i;
    }
    subject = x.incident.empty() ? "incident of " + x.incident_of : "incident " + x.incident;
    if (!found) {
      std::string roots;
      for (const auto& i : open)
        roots += (roots.empty() ? "" : ", ") + i.root_cause + (i.pending ? " (pending)" : "");
      bad.push_back(
          "no such open incident (open: " + (roots.empty() ? std::string("none") : roots) + ")");
    } else {
      if (x.root && *x.root != found->root_cause)
        bad.push_back("root '" + *x.root + "' != '" + found->root_cause + "'");
      if (x.children && *x.children != found->circuits.size())
        bad.push_back("children " + std::to_string(*x.children) +
                      " != " + std::to_string(found->circuits.size()));
      if (x.flapping && *x.flapping != found->flapping)
        bad.push_back(std::string("flapping ") + (found->flapping ? "true" : "false"));
      if (x.state && *x.state != found->decision.state)
        bad.push_back("state " + std::string(toString(*x.state)) +
                      " != " + std::string(toString(found->decision.state)));
      if (x.circuit.size() && std::find(found->circuits.begin(), found->circuits.end(),
                                        x.circuit) == found->circuits.end())
        bad.push_back("circuit " + x.circuit + " not a child");
      checkDecision(x, found->decision, bad);
    }
  }
  if (x.open_incidents) {
    auto open = eng.openIncidents();
    if (*x.open_incidents != open.size())
      bad.push_back("open_incidents " + std::to_string(*x.open_incidents) +
                    " != " + std::to_string(open.size()));
  }
  if (x.event) {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == *x.event ? 1 : 0;
    if (n != *x.count)
      bad.push_back(std::string(toString(*x.event)) + " count " + std::to_string(*x.count) +
                    " != " + std::to_string(n));
  }
  if (x.alarms && *x.alarms != countAlarms(events))
    bad.push_back("alarms " + std::to_string(*x.alarms) +
                  " != " + std::to_string(countAlarms(events)));
  if (x.monitor_blind && *x.monitor_blind != eng.monitorBlind())
    bad.push_back(std::string("monitor_blind ") + (eng.monitorBlind() ? "true" : "false"));
  ExpectationResult r;
  r.expectation = x;
  r.ok = bad.empty();
  std::string msg = origin + ":" + std::to_string(x.line) + " at " + formatIso(x.at) +
                    (subject.empty() ? "" : " " + subject);
  if (bad.empty()) {
    r.message = msg + ": ok";
  } else {
    msg += ": expected ";
    for (std::size_t i = 0; i < bad.size(); ++i) msg += (i ? "; " : "") + bad[i];
    r.message = msg;
  }
  return r;
}

}  // namespace

ReplayResult runScenario(const Scenario& s, const Rules& rules) {
  ReplayResult res;
  Engine eng(s.inventory, rules, s.settings);
  res.start = s.start;
  res.end = s.start;
  auto pump = [&] {
    auto ev = eng.drain();
    res.events.insert(res.events.end(), std::make_move_iterator(ev.begin()),
                      std::make_move_iterator(ev.end()));
  };
  std::size_t xi = 0;
  auto checkUpTo = [&](TimePoint t, bool inclusive) {
    while (xi < s.expectations.size() &&
           (s.expectations[xi].at < t || (inclusive && s.expectations[xi].at == t))) {
      eng.tick(s.expectations[xi].at);
      eng.flush();
      pump();
      res.checks.push_back(check(s.expectations[xi], eng, res.events, s.origin));
      ++xi;
    }
  };
  for (const auto& st : s.steps) {
    checkUpTo(st.time, false);
    eng.tick(st.time);
    if (st.observation) eng.observe(*st.observation);
    pump();
    res.end = std::max(res.end, st.time);
  }
  checkUpTo(TimePoint::max(), true);
  if (!s.expectations.empty()) res.end = std::max(res.end, s.expectations.back().at);
  eng.tick(res.end);
  eng.flush();
  pump();
  res.open_at_end = eng.openIncidents();
  res.circuits_at_end = eng.circuits();
  return res;
}

namespace {

std::string offset(TimePoint start, TimePoint t) {
  auto ms = (t - start).count();
  const char sign = ms < 0 ? '-' : '+';
  if (ms < 0) ms = -ms;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%c%02lld:%02lld:%02lld", sign,
                static_cast<long long>(ms / 3600000), static_cast<long long>(ms / 60000 % 60),
                static_cast<long long>(ms / 1000 % 60));
  return buf;
}

std::string decisionLine(const Decision& d) {
  std::string s = std::string(toString(d.location)) + " / " + std::string(toString(d.party));
  if (!d.clause.empty()) s += " / clause " + d.clause;
  if (!d.rule_id.empty()) s += " [" + d.rule_id + "]";
  return s;
}

}  // namespace

std::string renderTimeline(const Scenario& s, const ReplayResult& r, bool verbose) {
  std::ostringstream os;
  os << "scenario " << (s.name.empty() ? s.origin : s.name) << "\n";
  if (!s.description.empty()) os << "  " << s.description << "\n";
  os << "  start " << formatIso(r.start) << ", " << s.inventory.circuits.size() << " circuits, "
     << s.inventory.devices.size() << " devices, " << s.steps.size() << " observations\n\n";
  std::size_t quiet = 0;
  for (const auto& e : r.events) {
    // Circuits coming up from no data at the start are noise unless asked for.
    if (!verbose && e.kind == EngineEventKind::CircuitStateChanged &&
        e.from == CircuitState::Unknown && e.decision.state == CircuitState::Up) {
      ++quiet;
      continue;
    }
    os << offset(r.start, e.time) << "  ";
    switch (e.kind) {
      case EngineEventKind::CircuitStateChanged:
        os << "circuit " << e.circuit << ": " << (e.from ? toString(*e.from) : "?") << " -> "
           << toString(e.decision.state);
        if (e.decision.state != CircuitState::Up) os << "  " << decisionLine(e.decision);
        if (e.flapping) os << "  FLAPPING";
        if (e.suppressed)
          os << "  (no alarm" << (e.incident.empty() ? "" : ": in " + e.incident) << ")";
        break;
      case EngineEventKind::MonitorBlind:
      case EngineEventKind::MonitorRecovered:
        os << toString(e.kind) << ": " << e.decision.summary;
        break;
      default:
        os << toString(e.kind) << " " << e.incident << " root "
           << (e.root_cause.empty() ? "-" : e.root_cause) << " (" << e.circuits.size()
           << " circuits)";
        if (!e.removed.empty()) {
          os << " removed";
          for (const auto& k : e.removed) os << ' ' << k;
        }
        if (!e.split_from.empty()) os << " split from " << e.split_from;
        if (e.flapping) os << "  FLAPPING";
        if (e.kind != EngineEventKind::IncidentResolved)
          os << "\n            " << decisionLine(e.decision);
        break;
    }
    os << "\n";
    const bool show = e.kind != EngineEventKind::CircuitStateChanged || verbose;
    if (show && e.kind != EngineEventKind::IncidentResolved &&
        e.kind != EngineEventKind::MonitorRecovered) {
      if (!e.decision.summary.empty() && e.kind != EngineEventKind::MonitorBlind)
        os << "            " << e.decision.summary << "\n";
      if (!e.decision.next_step.empty())
        os << "            next step: " << e.decision.next_step << "\n";
    }
    if (verbose)
      for (const auto& ev : e.decision.evidence)
        os << "              - " << ev.name << ": " << ev.value << "\n";
  }
  if (quiet) os << "(" << quiet << " circuits came up from no data; -v shows them)\n";
  os << "\nat end (" << offset(r.start, r.end) << "):\n";
  for (const auto& c : r.circuits_at_end) {
    os << "  " << c.key << "  " << toString(c.state);
    if (c.state != CircuitState::Up) os << "  " << decisionLine(c.decision);
    if (c.flapping) os << "  FLAPPING";
    os << "\n";
  }
  for (const auto& i : r.open_at_end)
    os << "  open incident " << i.id << " root " << i.root_cause << " (" << i.circuits.size()
       << " circuits) " << decisionLine(i.decision) << "\n";
  if (!r.checks.empty()) {
    std::size_t ok = 0;
    for (const auto& c : r.checks) ok += c.ok ? 1 : 0;
    os << "\nexpectations: " << ok << "/" << r.checks.size() << " met\n";
    for (const auto& c : r.checks)
      if (!c.ok) os << "  FAILED " << c.message << "\n";
  }
  return os.str();
}

}  // namespace circuitd::engine
