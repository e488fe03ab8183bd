#pragma once
// JSON forms of faults and decisions, shared by the store (decision column), `circuitctl faults
// --json` and notification payloads. Strings in and out, so callers need no JSON header.
#include <string>
#include <vector>

#include "domain/core/decision.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"
#include "domain/faults/fault.hpp"

namespace circuitd::faults {

/// {"state","location","party","clause","rule_id","summary","next_step","evidence":[...]}.
std::string decisionToJson(const Decision& d);
/// Inverse of decisionToJson; the error names the key that is wrong.
Result<Decision> decisionFromJson(const std::string& text);

/// A fault as a JSON object (times ISO 8601 UTC, absent ones null).
std::string faultToJson(const Fault& f);
/// A transition as a JSON object, with its idempotency key.
std::string transitionToJson(const Transition& t);
/// A circuit (inventory entry) as JSON, for the store's circuit snapshot.
std::string circuitToJson(const Circuit& c);
/// Inverse of circuitToJson.
Result<Circuit> circuitFromJson(const std::string& text);
/// A list of strings as a JSON array.
std::string stringsToJson(const std::vector<std::string>& v);
/// Inverse of stringsToJson.
Result<std::vector<std::string>> stringsFromJson(const std::string& text);

}  // namespace circuitd::faults
