#include "probes/snmp/profile.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "config/profile_file.hpp"

using namespace circuitd;
using namespace circuitd::snmp;
using circuitd::config::loadProfile;
using circuitd::config::parseProfile;

namespace {
const std::string kProfiles = std::string(CIRCUITD_SOURCE_DIR) + "/config/profiles";

VarValue integer(std::int64_t v) {
  VarValue x;
  x.type = VarValue::Type::Integer;
  x.integer = v;
  return x;
}
VarValue text(std::string s) {
  VarValue x;
  x.type = VarValue::Type::OctetString;
  x.text = std::move(s);
  return x;
}
const ProfileMetric* metric(const VendorProfile& p, const std::string& name) {
  for (const auto& m : p.metrics)
    if (m.name == name) return &m;
  return nullptr;
}
}  // namespace

TEST(ProfileTest, ShippedHuaweiProfileUsesVerifiedOpticalOids) {
  auto p = loadProfile("huawei", {kProfiles});
  ASSERT_TRUE(p) << p.error().str();
  const auto* rx = metric(*p, "rx_power_dbm");
  const auto* tx = metric(*p, "tx_power_dbm");
  ASSERT_TRUE(rx && tx);
  // hwEntityOpticalRxPower / TxPower = hwOpticalModuleInfoEntry .8 / .9 (DOMAIN.md 2.1).
  EXPECT_EQ(formatOid(rx->column), "1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8");
  EXPECT_EQ(formatOid(tx->column), "1.3.6.1.4.1.2011.5.25.31.1.1.3.1.9");
  EXPECT_EQ(rx->index, MetricIndex::EntAliasMapping);
  bool dying = false;
  for (const auto& t : p->traps)
    dying |=
        formatOid(t.oid) == "1.3.6.1.4.1.2011.5.25.129.2.1.19" && t.kind == TrapKind::DyingGasp;
  EXPECT_TRUE(dying);
}

TEST(ProfileTest, ShippedZteAndGenericProfilesParse) {
  auto z = loadProfile("zte", {kProfiles});
  ASSERT_TRUE(z) << z.error().str();
  EXPECT_EQ(formatOid(metric(*z, "rx_power_dbm")->column), "1.3.6.1.4.1.3902.3.103.11.1.1.18");
  EXPECT_EQ(metric(*z, "rx_power_dbm")->unit, ValueUnit::Dbm);
  auto g = loadProfile("generic", {kProfiles});
  ASSERT_TRUE(g) << g.error().str();
  EXPECT_EQ(formatOid(metric(*g, "rx_power_dbm")->column), "1.3.6.1.2.1.99.1.1.1.4");
  EXPECT_EQ(metric(*g, "rx_power_dbm")->unit, ValueUnit::SensorWatts);
}

TEST(ProfileTest, UnknownUnitNamesFileLineAndKey) {
  auto p = parseProfile(
      "name = \"x\"\n[[metric]]\nname = \"rx_power_dbm\"\noid = \"1.3.6.1\"\nunit = \"furlongs\"\n",
      "x.toml");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().where, "x.toml:5:1 metric[0].unit");
  EXPECT_NE(p.error().what.find("furlongs"), std::string::npos);
}

TEST(ProfileTest, SymbolicOidIsRejectedWithLocation) {
  auto p = parseProfile(
      "name = \"x\"\n[[trap]]\nname = \"t\"\noid = \"IF-MIB::linkDown\"\nkind = \"link_down\"\n",
      "y.toml");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().where.find("y.toml:4"), std::string::npos);
  EXPECT_NE(p.error().where.find("trap[0].oid"), std::string::npos);
}

TEST(ProfileTest, SyntaxErrorReportsLineAndColumn) {
  auto p = parseProfile("name = \"x\"\n[[metric]\n", "z.toml");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().where.rfind("z.toml:2:", 0), 0u) << p.error().str();
}

TEST(ProfileTest, UnknownKeyIsAnError) {
  auto p = parseProfile("name = \"x\"\nnmae = \"y\"\n", "k.toml");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().where.find("nmae"), std::string::npos);
}

TEST(ProfileTest, MissingProfileNamesTheDirectoriesSearched) {
  auto p = loadProfile("nokia", {"/nonexistent-a"});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().what.find("/nonexistent-a"), std::string::npos);
  EXPECT_FALSE(loadProfile("../etc/passwd", {kProfiles}));
}

TEST(ConvertMetricTest, DbmTimes100) {
  ProfileMetric m;
  m.unit = ValueUnit::DbmX100;
  EXPECT_DOUBLE_EQ(*convertMetric(m, integer(-1234)), -12.34);
}

TEST(ConvertMetricTest, HuaweiAutoTellsMicrowattFromDbmX100) {
  ProfileMetric m;
  m.unit = ValueUnit::HuaweiAuto;
  // 50 uW = 0.05 mW = -13.01 dBm (old firmware); -250 = -2.50 dBm (current firmware).
  EXPECT_NEAR(*convertMetric(m, integer(50)), 10 * std::log10(0.05), 1e-9);
  EXPECT_DOUBLE_EQ(*convertMetric(m, integer(-250)), -2.5);
}

TEST(ConvertMetricTest, SentinelMeansNoReading) {
  ProfileMetric m;
  m.unit = ValueUnit::DbmX100;
  m.invalid = {2147483647};
  EXPECT_FALSE(convertMetric(m, integer(2147483647)).has_value());
}

TEST(ConvertMetricTest, ZteDisplayStringDbm) {
  ProfileMetric m;
  m.unit = ValueUnit::Dbm;
  EXPECT_DOUBLE_EQ(*convertMetric(m, text("-9.073")), -9.073);
  EXPECT_FALSE(convertMetric(m, text("N/A")).has_value());
  EXPECT_FALSE(convertMetric(m, text("")).has_value());
}

TEST(ConvertMetricTest, EntitySensorWattsToDbm) {
  ProfileMetric m;
  m.unit = ValueUnit::SensorWatts;
  // 500 with precision 1 and scale micro(7): 50.0 uW = -13.01 dBm.
  EXPECT_NEAR(*convertMetric(m, integer(500), 7, 1), 10 * std::log10(0.05), 1e-9);
  // No light: 0 W is reported at the LOS floor, not as -infinity.
  EXPECT_DOUBLE_EQ(*convertMetric(m, integer(0), 7, 1), kNoLightDbm);
  EXPECT_FALSE(convertMetric(m, integer(500)).has_value());
}

TEST(ConvertMetricTest, MicrowattToDbm) {
  ProfileMetric m;
  m.unit = ValueUnit::Microwatt;
  EXPECT_NEAR(*convertMetric(m, integer(1000)), 0.0, 1e-12);
}

TEST(ConvertMetricTest, ExceptionValuesAreNoReading) {
  ProfileMetric m;
  VarValue v;
  v.type = VarValue::Type::NoSuchInstance;
  EXPECT_FALSE(convertMetric(m, v).has_value());
}
