#pragma once
// The HTTP endpoint's routing, kept pure: a request line in, a status and a body out, over a
// snapshot of the daemon's state taken on the loop thread. No sockets, so every endpoint is
// unit-tested directly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/engine/engine.hpp"

namespace circuitd::http {

/// One circuit as the API shows it: the engine's view plus inventory labels.
struct CircuitRow {
  engine::CircuitView view;  ///< state and decision
  std::string link_id;       ///< carrier's circuit id
  std::string site;          ///< site label
  std::string service;       ///< service label
};

/// Passive capture counters since the daemon started (all handles it opened).
struct CaptureCounters {
  std::uint64_t frames = 0;             ///< frames read and counted
  std::uint64_t dropped = 0;            ///< frames the kernel dropped, the capture buffer full
  std::uint64_t interface_dropped = 0;  ///< frames the interface dropped (libpcap ps_ifdrop)
};

/// The daemon's state at the time of a request.
struct Snapshot {
  std::vector<CircuitRow> circuits;             ///< every configured circuit
  std::vector<engine::IncidentView> incidents;  ///< open incidents
  bool store_available = true;                  ///< false while the store alarm is raised
  bool monitor_blind = false;                   ///< the monitor cannot see
  double loop_lag_ms = 0.0;                     ///< event loop lag, last measurement
  std::string version;                          ///< build version
  std::optional<CaptureCounters> capture;       ///< set when a capture interface is configured
};

/// What to send back.
struct Response {
  unsigned status = 200;     ///< HTTP status code
  std::string content_type;  ///< Content-Type header
  std::string body;          ///< response body
  std::string allow;         ///< Allow header, set on 405
};

/// Routes a request: GET /healthz, /metrics, /api/v1/circuits[/{key}], /api/v1/incidents.
Response route(std::string_view method, std::string_view target, const Snapshot& snap);

/// A client error (400 unless `status` names another 4xx) with a JSON {"error": why}.
Response badRequest(std::string_view why, unsigned status = 400);

}  // namespace circuitd::http
