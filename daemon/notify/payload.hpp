#pragma once
// Notification payloads. The outbox keeps one channel-neutral event per transition; each channel
// renders it when it sends: Alertmanager's POST /api/v2/alerts body, or the generic webhook's
// JSON signed with HMAC-SHA256.
#include <string>

#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"
#include "domain/faults/fault.hpp"

namespace circuitd::notify {

/// The channel-neutral event stored in the outbox:
/// {"key", "fault": {...}, "transition": {...}, "circuit": {...} | null}.
std::string eventPayload(const faults::Fault& f, const faults::Transition& t,
                         const Circuit* circuit);

/// Options of the Alertmanager rendering.
struct AlertmanagerOptions {
  std::string generator_url_base = "http://127.0.0.1:8479/faults/";  ///< + fault id
  /// endsAt of an active alert is sent + this (the alert stays firing while it is refreshed;
  /// Alertmanager resolves it by itself if circuitd stops sending).
  Duration active_for{std::chrono::minutes{15}};
};

/// The body for Alertmanager's POST /api/v2/alerts: a one-element array of postable alerts.
/// Labels identify the fault (alertname, fault_id, circuit, link_id, site, contract, cause,
/// severity); annotations carry what changes. The error names the malformed event.
Result<std::string> alertmanagerBody(const std::string& event, TimePoint now,
                                     const AlertmanagerOptions& opt = {});

/// Lower-case hex HMAC-SHA256 of body under secret (OpenSSL libcrypto).
std::string hmacSha256Hex(const std::string& secret, const std::string& body);

/// The value of the generic webhook's signature header: "sha256=<hex>".
std::string webhookSignature(const std::string& secret, const std::string& body);

}  // namespace circuitd::notify
