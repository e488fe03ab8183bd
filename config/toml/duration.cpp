#include "config/toml/duration.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <utility>

namespace circuitd::toml {
namespace {

// Longest unit first, so that "ms" is not read as "m" followed by garbage.
constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> kUnits = {
    {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

constexpr std::string_view kHowTo =
    "write whole numbers with units ms, s, m, h, d: \"500ms\", \"10s\", \"1m30s\", \"2d\"";

}  // namespace

Result<Duration> parseDuration(std::string_view text, Sign sign) {
  const auto bad = [&](std::string_view why) {
    return fail("", fmt::format("'{}' is not a duration ({})", text, why));
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    if (sign == Sign::Unsigned) return bad("no sign here; " + std::string(kHowTo));
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return bad(kHowTo);
  std::int64_t total = 0;
  while (!s.empty()) {
    std::size_t digits = 0;
    std::int64_t number = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) {
      number = number * 10 + (s[digits] - '0');
      if (number > kMaxDurationNumber)
        return fail("", fmt::format("'{}' is too large a duration (each number at most {})", text,
                                    kMaxDurationNumber));
      ++digits;
    }
    if (digits == 0) return bad(kHowTo);
    s.remove_prefix(digits);
    std::int64_t scale = 0;
    for (const auto& [unit, ms] : kUnits) {
      // "m" must not swallow the "m" of "ms": a unit ends where the next number begins.
      if (s.substr(0, unit.size()) == unit &&
          (s.size() == unit.size() || std::isdigit(static_cast<unsigned char>(s[unit.size()])))) {
        scale = ms;
        s.remove_prefix(unit.size());
        break;
      }
    }
    if (scale == 0) return bad(kHowTo);
    std::int64_t part = 0;
    if (__builtin_mul_overflow(number, scale, &part) || __builtin_add_overflow(total, part, &total))
      return fail("", fmt::format("'{}' is too large a duration", text));
  }
  return Duration{negative ? -total : total};
}

std::string formatDuration(Duration d) {
  const auto ms = d.count();
  if (ms < 0) return "-" + formatDuration(-d);
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it)
    if (ms != 0 && ms % it->second == 0) return fmt::format("{}{}", ms / it->second, it->first);
  return fmt::format("{}ms", ms);
}

}  // namespace circuitd::toml
