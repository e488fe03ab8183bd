#pragma once
// Parsers for the scalar value formats the configuration uses (durations, addresses, host:port,
// CIDR prefixes, ISO dates) and the "did you mean" helper for unknown keys. Pure, no I/O, so
// circuitctl and the tests can use them directly.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace circuitd::config {

/// Parses "500ms", "10s", "5m", "1h" (a whole number and one unit). Error.where is empty.
Result<Duration> parseDuration(std::string_view text);
/// Formats a duration the way parseDuration reads it, in the largest exact unit ("1m", "1500ms").
std::string formatDuration(Duration d);
/// True for a literal IPv4 ("192.0.2.1") or IPv6 ("2001:db8::1") address.
bool isIpLiteral(std::string_view text);
/// True for an RFC 1123 host name (letters, digits, '-', dots; the last label not all digits).
bool isHostname(std::string_view text);

/// An "addr:port" pair; IPv6 addresses are written in brackets: "[::1]:162".
struct HostPort {
  std::string host;        ///< without brackets
  std::uint16_t port = 0;  ///< 0 only when allowed (listen: pick a free port)
};
/// Parses "addr:port" where addr is an IP literal. allow_port_zero admits port 0.
Result<HostPort> parseHostPort(std::string_view text, bool allow_port_zero);
/// Checks "addr/len" (IPv4 len 0..32, IPv6 len 0..128).
Result<void> checkCidr(std::string_view text);
/// Parses a calendar date "YYYY-MM-DD"; nullopt when malformed or not a real date.
std::optional<std::chrono::year_month_day> parseIsoDate(std::string_view text);
/// The candidate closest to word by edit distance when it is close enough to be a typo, else "".
std::string nearestWord(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace circuitd::config
