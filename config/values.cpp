#include "config/values.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace circuitd::config {
namespace {

bool allDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::optional<long> toNumber(std::string_view s) {
  if (!allDigits(s) || s.size() > 9) return std::nullopt;
  long v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool isIpv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool isIpv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

}  // namespace

bool isIpLiteral(std::string_view text) { return isIpv4(text) || isIpv6(text); }

bool isHostname(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::string_view last;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    const auto label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (unsigned char c : label)
      if (!std::isalnum(c) && c != '-') return false;
    last = label;
    start = dot + 1;
  }
  // "300.1.1.1" or "10.0.0" look like broken IPv4 addresses, not names (RFC 1123 section 2.1).
  return !allDigits(last);
}

Result<HostPort> parseHostPort(std::string_view text, bool allow_port_zero) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail("", fmt::format("'{}' is not \"[ipv6]:port\"", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!isIpv6(host)) return fail("", fmt::format("'{}' is not an IPv6 address", host));
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return fail("", fmt::format("'{}' has no port (write \"addr:port\")", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("", fmt::format("'{}': write IPv6 addresses in brackets, \"[addr]:port\"", text));
    if (!isIpv4(host)) return fail("", fmt::format("'{}' is not an IP address", host));
  }
  const auto p = toNumber(port);
  if (!p || *p > 65535 || (*p == 0 && !allow_port_zero))
    return fail(
        "", fmt::format("'{}' is not a port number ({}..65535)", port, allow_port_zero ? 0 : 1));
  return HostPort{std::string(host), static_cast<std::uint16_t>(*p)};
}

Result<void> checkCidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail(
        "", fmt::format("'{}' is not a prefix (write \"addr/len\", e.g. \"10.1.2.0/24\")", text));
  const auto addr = text.substr(0, slash);
  const auto len = toNumber(text.substr(slash + 1));
  int max = 0;
  if (isIpv4(addr))
    max = 32;
  else if (isIpv6(addr))
    max = 128;
  else
    return fail("", fmt::format("'{}' is not an IP address", addr));
  if (!len || *len > max)
    return fail(
        "", fmt::format("prefix length '{}' is out of range 0..{}", text.substr(slash + 1), max));
  return {};
}

std::optional<std::chrono::year_month_day> parseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto y = toNumber(text.substr(0, 4)), m = toNumber(text.substr(5, 2)),
             d = toNumber(text.substr(8, 2));
  if (!y || !m || !d) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(*y)},
                                        std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

}  // namespace circuitd::config
