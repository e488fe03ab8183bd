#pragma once
// The one duration grammar of every file circuitd reads: whole numbers, each followed by a unit
// (ms, s, m, h, d), written together: "500ms", "10s", "1m30s", "2d". A leading '+' or '-' is part
// of the grammar only where the caller reads a signed offset (scenario times relative to start).
#include <string>
#include <string_view>

#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace circuitd::toml {

/// Whether a leading '+' or '-' may precede the duration at this place.
enum class Sign : bool { Unsigned, Signed };

/// Largest number allowed before one unit; bigger ones are typos, not intended periods.
inline constexpr long long kMaxDurationNumber = 1'000'000'000;

/// Parses "500ms", "10s", "1m30s", "2d" (with Sign::Signed also "+90s", "-2d"). Each number is at
/// most kMaxDurationNumber. Error.where is empty: the caller knows the position.
Result<Duration> parseDuration(std::string_view text, Sign sign = Sign::Unsigned);
/// Formats a duration the way parseDuration reads it, in the largest exact unit ("1m", "1500ms").
std::string formatDuration(Duration d);

}  // namespace circuitd::toml
