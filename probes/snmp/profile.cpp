#include "probes/snmp/profile.hpp"

#include "domain/core/trap_kind.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace circuitd::snmp {

namespace {

std::string at(const std::string& source, const toml::source_region& r, const std::string& key) {
  return source + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + " " +
         key;
}

std::optional<ValueUnit> parseUnit(std::string_view s) {
  if (s == "raw") return ValueUnit::Raw;
  if (s == "dbm_x100") return ValueUnit::DbmX100;
  if (s == "dbm") return ValueUnit::Dbm;
  if (s == "microwatt") return ValueUnit::Microwatt;
  if (s == "huawei_auto") return ValueUnit::HuaweiAuto;
  if (s == "sensor_watts") return ValueUnit::SensorWatts;
  return std::nullopt;
}

std::optional<MetricIndex> parseIndex(std::string_view s) {
  if (s == "ifIndex") return MetricIndex::IfIndex;
  if (s == "entAliasMapping") return MetricIndex::EntAliasMapping;
  if (s == "entPhysicalName") return MetricIndex::EntPhysicalName;
  return std::nullopt;
}

double uwToDbm(double uw) { return uw > 0 ? 10.0 * std::log10(uw / 1000.0) : kNoLightDbm; }

}  // namespace

Result<VendorProfile> parseProfile(std::string_view text, const std::string& source) {
  toml::table tbl;
  try {
    tbl = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return fail(at(source, e.source(), ""), std::string(e.description()));
  }
  VendorProfile p;
  auto str = [&](const toml::node* n, const std::string& key, bool required,
                 std::string& out) -> Result<void> {
    if (!n) {
      if (required) return fail(source + " " + key, "missing");
      return {};
    }
    if (!n->is_string()) return fail(at(source, n->source(), key), "must be a string");
    out = n->as_string()->get();
    return {};
  };
  if (auto r = str(tbl.get("name"), "name", true, p.name); !r) return fail(r.error());
  if (auto r = str(tbl.get("description"), "description", false, p.description); !r)
    return fail(r.error());
  if (const auto* arr = tbl.get_as<toml::array>("sys_object_ids")) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const auto* n = arr->get(i);
      const std::string key = "sys_object_ids[" + std::to_string(i) + "]";
      if (!n->is_string()) return fail(at(source, n->source(), key), "must be a string");
      auto oid = parseOid(n->as_string()->get(), at(source, n->source(), key));
      if (!oid) return fail(oid.error());
      p.sys_object_ids.push_back(*oid);
    }
  }
  for (const auto& [k, v] : tbl) {
    const std::string key(k.str());
    if (key != "name" && key != "description" && key != "sys_object_ids" && key != "metric" &&
        key != "trap")
      return fail(at(source, v.source(), key), "unknown key");
  }

  if (const auto* n = tbl.get("metric")) {
    const auto* arr = n->as_array();
    if (!arr) return fail(at(source, n->source(), "metric"), "must be an array of tables [[metric]]");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string base = "metric[" + std::to_string(i) + "]";
      const auto* t = arr->get(i)->as_table();
      if (!t) return fail(at(source, arr->get(i)->source(), base), "must be a table");
      ProfileMetric m;
      if (auto r = str(t->get("name"), base + ".name", true, m.name); !r) return fail(r.error());
      std::string oid_text, unit_text = "raw", index_text = "ifIndex";
      if (auto r = str(t->get("oid"), base + ".oid", true, oid_text); !r) return fail(r.error());
      auto oid = parseOid(oid_text, at(source, t->get("oid")->source(), base + ".oid"));
      if (!oid) return fail(oid.error());
      m.column = *oid;
      if (auto r = str(t->get("unit"), base + ".unit", false, unit_text); !r) return fail(r.error());
      auto unit = parseUnit(unit_text);
      if (!unit)
        return fail(at(source, t->get("unit")->source(), base + ".unit"),
                    "unknown unit \"" + unit_text +
                        "\" (raw, dbm_x100, dbm, microwatt, huawei_auto, sensor_watts)");
      m.unit = *unit;
      if (auto r = str(t->get("index"), base + ".index", false, index_text); !r)
        return fail(r.error());
      auto idx = parseIndex(index_text);
      if (!idx)
        return fail(at(source, t->get("index")->source(), base + ".index"),
                    "unknown index \"" + index_text + "\" (ifIndex, entAliasMapping, entPhysicalName)");
      m.index = *idx;
      if (auto r = str(t->get("entity_name"), base + ".entity_name", false, m.entity_name); !r)
        return fail(r.error());
      if (const auto* s = t->get("scale")) {
        if (auto d = s->value<double>()) m.scale = *d;
        else return fail(at(source, s->source(), base + ".scale"), "must be a number");
      }
      if (const auto* inv = t->get("invalid")) {
        const auto* ia = inv->as_array();
        if (!ia) return fail(at(source, inv->source(), base + ".invalid"), "must be an array of integers");
        for (const auto& e : *ia) {
          auto v = e.value<std::int64_t>();
          if (!v || !e.is_integer())
            return fail(at(source, e.source(), base + ".invalid"), "must be an array of integers");
          m.invalid.push_back(*v);
        }
      }
      for (const auto& [k, v] : *t) {
        const std::string key(k.str());
        if (key != "name" && key != "oid" && key != "unit" && key != "index" &&
            key != "entity_name" && key != "scale" && key != "invalid")
          return fail(at(source, v.source(), base + "." + key), "unknown key");
      }
      p.metrics.push_back(std::move(m));
    }
  }
  if (const auto* n = tbl.get("trap")) {
    const auto* arr = n->as_array();
    if (!arr) return fail(at(source, n->source(), "trap"), "must be an array of tables [[trap]]");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string base = "trap[" + std::to_string(i) + "]";
      const auto* t = arr->get(i)->as_table();
      if (!t) return fail(at(source, arr->get(i)->source(), base), "must be a table");
      ProfileTrap tr;
      std::string oid_text, kind_text;
      if (auto r = str(t->get("name"), base + ".name", true, tr.name); !r) return fail(r.error());
      if (auto r = str(t->get("oid"), base + ".oid", true, oid_text); !r) return fail(r.error());
      if (auto r = str(t->get("kind"), base + ".kind", true, kind_text); !r) return fail(r.error());
      auto oid = parseOid(oid_text, at(source, t->get("oid")->source(), base + ".oid"));
      if (!oid) return fail(oid.error());
      tr.oid = *oid;
      auto kind = parseTrapKind(kind_text);
      if (!kind)
        return fail(at(source, t->get("kind")->source(), base + ".kind"),
                    "unknown kind \"" + kind_text + "\"");
      tr.kind = *kind;
      p.traps.push_back(std::move(tr));
    }
  }
  return p;
}

Result<VendorProfile> loadProfileFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, "cannot open profile file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseProfile(ss.str(), path);
}

Result<VendorProfile> loadProfile(const std::string& name, const std::vector<std::string>& dirs) {
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    return fail("profile", "invalid profile name \"" + name + "\"");
  std::string tried;
  for (const auto& d : dirs) {
    const auto path = std::filesystem::path(d) / (name + ".toml");
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return loadProfileFile(path.string());
    tried += (tried.empty() ? "" : ", ") + d;
  }
  return fail("profile " + name, "no " + name + ".toml in " + (tried.empty() ? "(no directories)" : tried));
}

std::vector<std::string> defaultProfileDirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("CIRCUITD_PROFILE_DIR"); env && *env) dirs.emplace_back(env);
  dirs.emplace_back("/etc/circuitd/profiles");
#ifdef CIRCUITD_PROFILES_SOURCE_DIR
  dirs.emplace_back(CIRCUITD_PROFILES_SOURCE_DIR);
#endif
  return dirs;
}

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
    case ValueUnit::Raw: return x * m.scale;
    case ValueUnit::DbmX100: return x / 100.0;
    case ValueUnit::Dbm: return x * m.scale;
    case ValueUnit::Microwatt: return uwToDbm(x);
    case ValueUnit::HuaweiAuto: return x > 0 ? uwToDbm(x) : x / 100.0;
    case ValueUnit::SensorWatts: {
      // RFC 3433: real = value x 10^-precision x 10^(3 (scale - 9)); units(9) = 10^0.
      if (!sensor_scale || !sensor_precision) return std::nullopt;
      const double watts =
          x * std::pow(10.0, -static_cast<double>(*sensor_precision)) *
          std::pow(10.0, 3.0 * (static_cast<double>(*sensor_scale) - 9.0));
      return watts > 0 ? 10.0 * std::log10(watts * 1000.0) : kNoLightDbm;
    }
  }
  return std::nullopt;
}

}  // namespace circuitd::snmp
