#include "daemon/runtime/event_log.hpp"

namespace circuitd::runtime {

void logEvent(spdlog::logger& log, const EngineEvent& e) {
  const Decision& d = e.decision;
  switch (e.kind) {
    case EngineEventKind::CircuitStateChanged:
      if (d.state == CircuitState::Up || d.state == CircuitState::Unknown)
        log.info("circuit {}: {} -> {}{}", e.circuit, e.from ? toString(*e.from) : "-",
                 toString(d.state), d.summary.empty() ? "" : " | " + d.summary);
      else
        log.info("circuit {}: {} -> {}{}{} | {} | {} side ({}){}{}", e.circuit,
                 e.from ? toString(*e.from) : "-", toString(d.state),
                 e.flapping ? " (flapping)" : "", e.suppressed ? " (in incident)" : "",
                 d.summary.empty() ? "-" : d.summary, toString(d.party), toString(d.location),
                 d.clause.empty() ? "" : ", clause " + d.clause,
                 d.rule_id.empty() ? "" : ", rule " + d.rule_id);
      break;
    case EngineEventKind::IncidentOpened:
    case EngineEventKind::IncidentUpdated:
    case EngineEventKind::IncidentSplit:
    case EngineEventKind::IncidentResolved:
      log.info("incident {} {}: root cause {}, {} circuit(s) | {} | {} side{}", e.incident,
               toString(e.kind), e.root_cause, e.circuits.size(), d.summary, toString(d.party),
               d.clause.empty() ? "" : ", clause " + d.clause);
      break;
    case EngineEventKind::MonitorBlind:
      log.warn("monitor blind: {}", d.summary);
      break;
    case EngineEventKind::MonitorRecovered:
      log.info("monitor recovered: {}", d.summary);
      break;
  }
}

}  // namespace circuitd::runtime
