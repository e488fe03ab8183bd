#include "probes/snmp/profile.hpp"

#include <charconv>
#include <cmath>

namespace circuitd::snmp {

namespace {

double uwToDbm(double uw) { return uw > 0 ? 10.0 * std::log10(uw / 1000.0) : kNoLightDbm; }

}  // namespace

std::optional<double> convertMetric(const ProfileMetric& m, const VarValue& v,
                                    std::optional<std::int64_t> sensor_scale,
                                    std::optional<std::int64_t> sensor_precision) {
  if (v.isException()) return std::nullopt;
  std::optional<double> num;
  std::optional<std::int64_t> raw_int;
  if (v.type == VarValue::Type::OctetString) {
    // ZXR10OPTICALMIB returns power as a DisplayString such as "-9.073".
    std::string s = v.text;
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d))
      return std::nullopt;
    num = d;
  } else if (v.type == VarValue::Type::Counter64) {
    num = static_cast<double>(v.counter64);
  } else if (v.type == VarValue::Type::Integer || v.asU32()) {
    raw_int = v.integer;
    num = static_cast<double>(v.integer);
  } else {
    return std::nullopt;
  }
  if (raw_int)
    for (auto s : m.invalid)
      if (*raw_int == s) return std::nullopt;
  const double x = *num;
  switch (m.unit) {
    case ValueUnit::Raw:
      return x * m.scale;
    case ValueUnit::DbmX100:
      return x / 100.0;
    case ValueUnit::Dbm:
      return x * m.scale;
    case ValueUnit::Microwatt:
      return uwToDbm(x);
    case ValueUnit::HuaweiAuto:
      return x > 0 ? uwToDbm(x) : x / 100.0;
    case ValueUnit::SensorWatts: {
      // RFC 3433: real = value x 10^-precision x 10^(3 (scale - 9)); units(9) = 10^0.
      if (!sensor_scale || !sensor_precision) return std::nullopt;
      const double watts = x * std::pow(10.0, -static_cast<double>(*sensor_precision)) *
                           std::pow(10.0, 3.0 * (static_cast<double>(*sensor_scale) - 9.0));
      return watts > 0 ? 10.0 * std::log10(watts * 1000.0) : kNoLightDbm;
    }
  }
  return std::nullopt;
}

}  // namespace circuitd::snmp
