#include "daemon/http/router.hpp"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace circuitd::http {

namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";
// Prometheus text exposition format, version 0.0.4.
constexpr const char* kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

std::string iso(TimePoint t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Response jsonResponse(unsigned status, const json& j) {
  // Labels come from operator files and may hold invalid UTF-8: replace rather than throw.
  return {status, kJson, j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", ""};
}

Response errorResponse(unsigned status, std::string_view why) {
  return jsonResponse(status, json{{"error", std::string(why)}});
}

json circuitJson(const CircuitRow& r) {
  const Decision& d = r.view.decision;
  return json{{"key", r.view.key},
              {"link_id", r.link_id},
              {"site", r.site},
              {"service", r.service},
              {"state", std::string(toString(r.view.state))},
              {"location", std::string(toString(d.location))},
              {"party", std::string(toString(d.party))},
              {"clause", d.clause},
              {"rule", d.rule_id},
              {"summary", d.summary},
              {"next_step", d.next_step},
              {"flapping", r.view.flapping},
              {"incident", r.view.incident},
              {"since", iso(r.view.since)}};
}

json incidentJson(const engine::IncidentView& i) {
  return json{{"id", i.id},
              {"root_cause", i.root_cause},
              {"circuits", i.circuits},
              {"opened", iso(i.opened)},
              {"flapping", i.flapping},
              {"pending", i.pending},
              {"party", std::string(toString(i.decision.party))},
              {"location", std::string(toString(i.decision.location))},
              {"clause", i.decision.clause},
              {"summary", i.decision.summary}};
}

// Label values escape backslash, quote and newline (exposition format).
std::string labelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

Response metrics(const Snapshot& s) {
  std::ostringstream o;
  o << "# HELP circuitd_circuits Circuits by state.\n# TYPE circuitd_circuits gauge\n";
  for (CircuitState st : {CircuitState::Up, CircuitState::Degraded, CircuitState::Down,
                          CircuitState::Unknown, CircuitState::Maintenance}) {
    std::size_t n = 0;
    for (const auto& c : s.circuits) n += c.view.state == st ? 1 : 0;
    o << "circuitd_circuits{state=\"" << toString(st) << "\"} " << n << "\n";
  }
  o << "# HELP circuitd_open_incidents Open incidents.\n# TYPE circuitd_open_incidents gauge\n"
    << "circuitd_open_incidents " << s.incidents.size() << "\n"
    << "# HELP circuitd_monitor_blind 1 while the monitor cannot see.\n"
    << "# TYPE circuitd_monitor_blind gauge\n"
    << "circuitd_monitor_blind " << (s.monitor_blind ? 1 : 0) << "\n"
    << "# HELP circuitd_store_available 1 while the store can be written.\n"
    << "# TYPE circuitd_store_available gauge\n"
    << "circuitd_store_available " << (s.store_available ? 1 : 0) << "\n"
    << "# HELP circuitd_loop_lag_seconds Event loop lag, last measurement.\n"
    << "# TYPE circuitd_loop_lag_seconds gauge\n"
    << "circuitd_loop_lag_seconds " << s.loop_lag_ms / 1000.0 << "\n"
    << "# HELP circuitd_build_info Build information.\n# TYPE circuitd_build_info gauge\n"
    << "circuitd_build_info{version=\"" << labelValue(s.version) << "\"} 1\n";
  if (s.capture)
    o << "# HELP circuitd_capture_frames_total Frames the passive capture read.\n"
      << "# TYPE circuitd_capture_frames_total counter\n"
      << "circuitd_capture_frames_total " << s.capture->frames << "\n"
      << "# HELP circuitd_capture_dropped_total Frames the kernel dropped before the passive "
         "capture read them (capture buffer full).\n"
      << "# TYPE circuitd_capture_dropped_total counter\n"
      << "circuitd_capture_dropped_total " << s.capture->dropped << "\n"
      << "# HELP circuitd_capture_interface_dropped_total Frames the capture interface dropped "
         "(missed or FIFO overrun, all its traffic).\n"
      << "# TYPE circuitd_capture_interface_dropped_total counter\n"
      << "circuitd_capture_interface_dropped_total " << s.capture->interface_dropped << "\n";
  return {200, kPrometheus, o.str(), ""};
}

// Circuit keys may hold '#' or spaces, so clients percent-encode them; nullopt when malformed.
std::optional<std::string> percentDecode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    int v = 0;
    for (std::size_t k = 1; k <= 2; ++k) {
      const char c = in[i + k];
      v *= 16;
      if (c >= '0' && c <= '9')
        v += c - '0';
      else if (c >= 'a' && c <= 'f')
        v += c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v += c - 'A' + 10;
      else
        return std::nullopt;
    }
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

}  // namespace

Response badRequest(std::string_view why, unsigned status) { return errorResponse(status, why); }

Response route(std::string_view method, std::string_view target, const Snapshot& snap) {
  // The query string selects nothing here; it is ignored rather than making the path unknown.
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return badRequest("request target must be a path");

  constexpr std::string_view kCircuitPrefix = "/api/v1/circuits/";
  const bool known = path == "/healthz" || path == "/metrics" || path == "/api/v1/circuits" ||
                     path == "/api/v1/incidents" ||
                     (path.size() > kCircuitPrefix.size() && path.starts_with(kCircuitPrefix));
  if (!known) return errorResponse(404, "not found");
  if (method != "GET" && method != "HEAD") {
    Response r = errorResponse(405, "method not allowed");
    r.allow = "GET, HEAD";
    return r;
  }

  if (path == "/healthz") {
    const bool ok = snap.store_available;
    return jsonResponse(ok ? 200 : 503, json{{"status", ok ? "ok" : "store unavailable"},
                                             {"store_available", snap.store_available},
                                             {"monitor_blind", snap.monitor_blind},
                                             {"loop_lag_ms", snap.loop_lag_ms}});
  }
  if (path == "/metrics") return metrics(snap);
  if (path == "/api/v1/circuits") {
    json arr = json::array();
    for (const auto& c : snap.circuits) arr.push_back(circuitJson(c));
    return jsonResponse(200, json{{"circuits", arr}});
  }
  if (path == "/api/v1/incidents") {
    json arr = json::array();
    for (const auto& i : snap.incidents) arr.push_back(incidentJson(i));
    return jsonResponse(200, json{{"incidents", arr}});
  }
  const auto key = percentDecode(path.substr(kCircuitPrefix.size()));
  if (!key) return badRequest("malformed percent-encoding in the circuit key");
  for (const auto& c : snap.circuits)
    if (c.view.key == *key) return jsonResponse(200, circuitJson(c));
  return errorResponse(404, "unknown circuit: " + *key);
}

}  // namespace circuitd::http
