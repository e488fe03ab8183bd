#include "config/profile_file.hpp"

#include <cstdlib>
#include <filesystem>

#include "config/toml/reader.hpp"
#include "domain/core/trap_kind.hpp"

namespace circuitd::config {
namespace {

using snmp::MetricIndex;
using snmp::ValueUnit;

const toml::Keys kProfileKeys = {"name", "description", "sys_object_ids", "metric", "trap"};
const toml::Keys kMetricKeys = {"name", "oid", "unit", "index", "entity_name", "scale", "invalid"};
const toml::Keys kTrapKeys = {"name", "oid", "kind"};
const toml::Keys kUnits = {"raw", "dbm_x100", "dbm", "microwatt", "huawei_auto", "sensor_watts"};
const toml::Keys kIndexes = {"ifIndex", "entAliasMapping", "entPhysicalName"};

ValueUnit toUnit(std::string_view s) {
  if (s == "dbm_x100") return ValueUnit::DbmX100;
  if (s == "dbm") return ValueUnit::Dbm;
  if (s == "microwatt") return ValueUnit::Microwatt;
  if (s == "huawei_auto") return ValueUnit::HuaweiAuto;
  if (s == "sensor_watts") return ValueUnit::SensorWatts;
  return ValueUnit::Raw;
}

MetricIndex toIndex(std::string_view s) {
  if (s == "entAliasMapping") return MetricIndex::EntAliasMapping;
  if (s == "entPhysicalName") return MetricIndex::EntPhysicalName;
  return MetricIndex::IfIndex;
}

/// A numeric OID under key; a bad one is reported at the key.
std::optional<snmp::Oid> oidAt(const toml::Reader& r, std::string_view key, bool required) {
  const auto text = r.str(key, required);
  if (!text) return std::nullopt;
  auto oid = snmp::parseOid(*text, r.where(key));
  if (!oid) {
    r.errorAt(oid.error().where, oid.error().what);
    return std::nullopt;
  }
  return *oid;
}

snmp::ProfileMetric readMetric(const toml::Reader& r) {
  snmp::ProfileMetric m;
  r.checkKeys(kMetricKeys);
  m.name = r.str("name", true).value_or("");
  if (auto oid = oidAt(r, "oid", true)) m.column = *oid;
  if (auto unit = r.oneOf("unit", kUnits)) m.unit = toUnit(*unit);
  if (auto index = r.oneOf("index", kIndexes)) m.index = toIndex(*index);
  if (auto name = r.str("entity_name")) m.entity_name = *name;
  if (auto scale = r.number("scale")) m.scale = *scale;
  if (auto invalid = r.integers("invalid")) m.invalid = *invalid;
  return m;
}

snmp::ProfileTrap readTrap(const toml::Reader& r) {
  snmp::ProfileTrap t;
  r.checkKeys(kTrapKeys);
  t.name = r.str("name", true).value_or("");
  if (auto oid = oidAt(r, "oid", true)) t.oid = *oid;
  if (auto kind = r.str("kind", true)) {
    if (auto k = parseTrapKind(*kind))
      t.kind = *k;
    else
      r.error("kind", "unknown kind \"" + *kind + "\"");
  }
  return t;
}

Result<snmp::VendorProfile> readProfile(const toml::Document& doc) {
  Errors errors;
  const toml::Reader top(errors, doc);
  snmp::VendorProfile p;
  top.checkKeys(kProfileKeys);
  p.name = top.str("name", true).value_or("");
  p.description = top.str("description").value_or("");
  if (auto ids = top.strings("sys_object_ids")) {
    for (std::size_t i = 0; i < ids->size(); ++i) {
      auto oid = snmp::parseOid((*ids)[i], top.whereElement("sys_object_ids", i));
      if (oid)
        p.sys_object_ids.push_back(*oid);
      else
        top.errorAt(oid.error().where, oid.error().what);
    }
  }
  if (!errors.empty()) return fail(errors.front());
  for (const auto& r : top.tables("metric")) {
    p.metrics.push_back(readMetric(r));
    if (!errors.empty()) return fail(errors.front());
  }
  for (const auto& r : top.tables("trap")) {
    p.traps.push_back(readTrap(r));
    if (!errors.empty()) return fail(errors.front());
  }
  if (!errors.empty()) return fail(errors.front());
  return p;
}

}  // namespace

Result<snmp::VendorProfile> parseProfile(std::string_view text, const std::string& source) {
  auto doc = toml::parse(text, source);
  if (!doc) return fail(doc.error());
  return readProfile(*doc);
}

Result<snmp::VendorProfile> loadProfileFile(const std::string& path) {
  auto doc = toml::parseFile(path);
  if (!doc) return fail(doc.error());
  return readProfile(*doc);
}

Result<snmp::VendorProfile> loadProfile(const std::string& name,
                                        const std::vector<std::string>& dirs) {
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    return fail("profile", "invalid profile name \"" + name + "\"");
  std::string tried;
  for (const auto& d : dirs) {
    const auto path = std::filesystem::path(d) / (name + ".toml");
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return loadProfileFile(path.string());
    tried += (tried.empty() ? "" : ", ") + d;
  }
  return fail("profile " + name,
              "no " + name + ".toml in " + (tried.empty() ? "(no directories)" : tried));
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

}  // namespace circuitd::config
