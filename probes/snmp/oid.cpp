#include "probes/snmp/oid.hpp"

#include <charconv>

namespace circuitd::snmp {

Result<Oid> parseOid(std::string_view text, const std::string& where) {
  Oid out;
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return fail(where, "empty OID");
  while (!text.empty()) {
    auto dot = text.find('.');
    auto part = text.substr(0, dot);
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size())
      return fail(where, "not a numeric OID: \"" + std::string(text) +
                             "\" (MIB names are not "
                             "resolved here; use dotted numbers)");
    out.push_back(v);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
    if (text.empty()) return fail(where, "OID ends with a dot");
  }
  if (out.size() < 2) return fail(where, "OID needs at least two sub-identifiers");
  return out;
}

std::string formatOid(const Oid& oid) {
  std::string s;
  s.reserve(oid.size() * 3);
  for (std::size_t i = 0; i < oid.size(); ++i) {
    if (i) s += '.';
    s += std::to_string(oid[i]);
  }
  return s;
}

Oid oidCat(const Oid& prefix, std::initializer_list<std::uint32_t> suffix) {
  Oid o = prefix;
  o.insert(o.end(), suffix.begin(), suffix.end());
  return o;
}

bool oidInSubtree(const Oid& oid, const Oid& root) {
  return oid.size() > root.size() && std::equal(root.begin(), root.end(), oid.begin());
}

}  // namespace circuitd::snmp
