#pragma once
// Parsers for the scalar value formats the configuration uses (addresses, host:port, CIDR
// prefixes, ISO dates). Pure, no I/O, so circuitctl and the tests can use them directly.
// Durations and the "did you mean" helper belong to the TOML reader (config/toml/).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace circuitd::config {

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

}  // namespace circuitd::config
