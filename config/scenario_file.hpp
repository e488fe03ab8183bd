#pragma once
// Scenario files (docs/scenarios.md) read into engine::Scenario. Unknown keys, unknown references
// and bad values are errors, so that a typo never silently weakens a test.
#include <string>
#include <string_view>

#include "domain/core/result.hpp"
#include "domain/engine/scenario.hpp"

namespace circuitd::config {

/// Parses a scenario document; the first problem is returned as "origin:line:col key.path: what".
Result<engine::Scenario> parseScenario(std::string_view text, const std::string& origin);

}  // namespace circuitd::config
