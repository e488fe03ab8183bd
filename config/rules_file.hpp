#pragma once
// Demarcation rule files: `[[rule]]` tables (docs/engine.md) read into engine::Rules. The
// built-in set is domain/engine/default_rules.toml, embedded at build time.
#include <string>
#include <string_view>

#include "domain/core/result.hpp"
#include "domain/engine/rules.hpp"

namespace circuitd::config {

/// Parses a rules document; the first problem is returned as "origin:line:col key.path: what".
Result<engine::Rules> parseRules(std::string_view text, const std::string& origin);
/// The built-in rule set (origin "built-in").
const engine::Rules& defaultRules();

}  // namespace circuitd::config
