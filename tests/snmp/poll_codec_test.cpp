#include "probes/snmp/poll_codec.hpp"

#include <gtest/gtest.h>

using namespace circuitd;
using namespace circuitd::snmp;
using namespace std::chrono_literals;

namespace {

ColumnRow nameRow(std::uint32_t idx, std::string name) {
  ColumnRow r;
  r.index = {idx};
  r.value.type = VarValue::Type::OctetString;
  r.value.text = std::move(name);
  return r;
}

VarValue v(VarValue::Type t, std::int64_t i) {
  VarValue x;
  x.type = t;
  x.integer = i;
  return x;
}
VarValue c64(std::uint64_t u) {
  VarValue x;
  x.type = VarValue::Type::Counter64;
  x.counter64 = u;
  return x;
}
VarValue str(std::string s) {
  VarValue x;
  x.type = VarValue::Type::OctetString;
  x.text = std::move(s);
  return x;
}

VendorProfile opticalProfile() {
  VendorProfile p;
  p.name = "t";
  ProfileMetric rx;
  rx.name = "rx_power_dbm";
  rx.column = *parseOid("1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8");
  rx.index = MetricIndex::EntAliasMapping;
  rx.unit = ValueUnit::DbmX100;
  p.metrics.push_back(rx);
  return p;
}

/// The reply an agent would give: the plan's OIDs with values chosen per field.
std::vector<VarBind> answer(const PduPlan& plan, std::uint32_t uptime, std::uint64_t octets,
                            const std::string& name) {
  std::vector<VarBind> out;
  for (std::size_t i = 0; i < plan.oids.size(); ++i) {
    VarBind vb;
    vb.oid = plan.oids[i];
    switch (plan.slots[i].field) {
      case Field::SysUpTime:
        vb.value = v(VarValue::Type::TimeTicks, uptime);
        break;
      case Field::Oper:
      case Field::Admin:
        vb.value = v(VarValue::Type::Integer, 1);
        break;
      case Field::HcIn:
      case Field::HcOut:
        vb.value = c64(octets);
        break;
      case Field::In32:
      case Field::Out32:
        vb.value = v(VarValue::Type::Counter32, static_cast<std::int64_t>(octets & 0xffffffff));
        break;
      case Field::HighSpeed:
        vb.value = v(VarValue::Type::Gauge32, 1000);
        break;
      case Field::LastChange:
      case Field::DiscontinuityTime:
        vb.value = v(VarValue::Type::TimeTicks, 0);
        break;
      case Field::NameCheck:
        vb.value = str(name);
        break;
      case Field::Metric:
        vb.value = v(VarValue::Type::Integer, -1234);
        break;
      default:
        vb.value = v(VarValue::Type::Counter32, 0);
        break;
    }
    out.push_back(vb);
  }
  return out;
}

}  // namespace

TEST(ResolveInterfacesTest, ExactThenCaseInsensitiveMatch) {
  ResolutionTables t;
  t.names = {nameRow(1, "lo"), nameRow(5, "GigabitEthernet0/2/0"),
             nameRow(6, "GigabitEthernet0/2/1")};
  auto r = resolveInterfaces({"GigabitEthernet0/2/1", "gigabitethernet0/2/0"}, t, nullptr);
  ASSERT_EQ(r.found.size(), 2u);
  EXPECT_EQ(r.found[0].if_index, 6);
  EXPECT_EQ(r.found[1].if_index, 5);
  EXPECT_TRUE(r.missing.empty());
}

TEST(ResolveInterfacesTest, MissingAndAmbiguousNamesAreReported) {
  ResolutionTables t;
  t.names = {nameRow(1, "uplink"), nameRow(2, "uplink"), nameRow(3, "uni")};
  auto r = resolveInterfaces({"uplink", "uni", "Gi0/9"}, t, nullptr);
  ASSERT_EQ(r.found.size(), 1u);
  EXPECT_EQ(r.found[0].name, "uni");
  EXPECT_EQ(r.missing, std::vector<std::string>{"Gi0/9"});
  EXPECT_EQ(r.ambiguous, std::vector<std::string>{"uplink"});
}

TEST(ResolveInterfacesTest, EntAliasMappingGivesOpticalRow) {
  ResolutionTables t;
  t.names = {nameRow(6, "GE0/2/1")};
  ColumnRow alias;
  alias.index = {16842753, 0};
  alias.value.type = VarValue::Type::ObjectId;
  alias.value.oid = oidCat(oids::kIfIndex, {6});
  t.ent_alias.push_back(alias);
  const auto p = opticalProfile();
  auto r = resolveInterfaces({"GE0/2/1"}, t, &p);
  ASSERT_EQ(r.found.size(), 1u);
  ASSERT_EQ(r.found[0].metric_rows.size(), 1u);
  ASSERT_TRUE(r.found[0].metric_rows[0].has_value());
  EXPECT_EQ(*r.found[0].metric_rows[0], Oid{16842753});
}

TEST(ResolveInterfacesTest, EntPhysicalNamePatternGivesSensorRow) {
  VendorProfile p;
  ProfileMetric m;
  m.name = "rx_power_dbm";
  m.column = *parseOid("1.3.6.1.2.1.99.1.1.1.4");
  m.index = MetricIndex::EntPhysicalName;
  m.entity_name = "{if} Rx Power";
  m.unit = ValueUnit::SensorWatts;
  p.metrics.push_back(m);
  ResolutionTables t;
  t.names = {nameRow(3, "Te1/1")};
  t.ent_names = {nameRow(1003, "Te1/1 Rx Power"), nameRow(1004, "Te1/1 Tx Power")};
  auto r = resolveInterfaces({"Te1/1"}, t, &p);
  ASSERT_EQ(r.found.size(), 1u);
  EXPECT_EQ(*r.found[0].metric_rows[0], Oid{1003});
}

TEST(PollPlanTest, EveryPduStartsWithSysUpTimeAndRespectsTheCap) {
  std::vector<ResolvedInterface> ifs;
  for (int i = 1; i <= 10; ++i) ifs.push_back({"if" + std::to_string(i), i, {}});
  PlanOptions opt;
  opt.hc_supported = true;
  opt.max_varbinds = 30;
  auto plan = buildPollPlan(ifs, nullptr, opt);
  // 11 varbinds per interface (ten IF-MIB columns and the name check): two per 30-varbind PDU.
  ASSERT_EQ(plan.size(), 5u);
  std::size_t total = 0;
  for (const auto& p : plan) {
    EXPECT_EQ(p.oids.front(), oids::kSysUpTime);
    EXPECT_LE(p.oids.size(), 30u);
    total += p.oids.size() - 1;
  }
  EXPECT_EQ(total, 110u);
  EXPECT_EQ(plan[0].oids[3], oidCat(oids::kIfHcInOctets, {1}));
}

TEST(PollPlanTest, UnknownCounterWidthAsksBothOnce) {
  std::vector<ResolvedInterface> ifs{{"a", 4, {}}};
  PlanOptions opt;
  auto plan = buildPollPlan(ifs, nullptr, opt);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].oids.size(), 14u);  // sysUpTime + 10 + name + ifIn/OutOctets
  opt.hc_supported = false;
  plan = buildPollPlan(ifs, nullptr, opt);
  EXPECT_EQ(plan[0].oids.size(), 12u);
  EXPECT_EQ(plan[0].oids[3], oidCat(oids::kIfInOctets, {4}));
}

TEST(DecodeTest, DecodesValuesAndBuildsRatesOnSecondRound) {
  const auto prof = opticalProfile();
  std::vector<ResolvedInterface> ifs{{"GE0/2/1", 6, {Oid{16842753}}}};
  PlanOptions opt;
  opt.hc_supported = true;
  auto plan = buildPollPlan(ifs, &prof, opt);
  ASSERT_EQ(plan.size(), 1u);

  const TimePoint t0 = fromUnixMs(1'700'000'000'000);
  auto d1 = startDecode(1, 1);
  decodePdu(plan[0], answer(plan[0], 10000, 1'000'000, "GE0/2/1"), d1);
  EXPECT_TRUE(d1.problems.empty());
  auto s1 = buildSample("atn1", ifs[0], d1.ifaces[0], t0, nullptr, &prof, 100.0);
  EXPECT_EQ(s1.sample.oper, IfStatus::Up);
  EXPECT_EQ(s1.sample.in_octets, 1'000'000u);
  EXPECT_FALSE(s1.sample.in_bps.has_value());
  EXPECT_DOUBLE_EQ(*s1.sample.rx_power_dbm, -12.34);
  EXPECT_FALSE(s1.index_moved);

  auto d2 = startDecode(1, 1);
  decodePdu(plan[0], answer(plan[0], 11000, 2'250'000, "GE0/2/1"), d2);
  auto s2 = buildSample("atn1", ifs[0], d2.ifaces[0], t0 + 10s, &s1.snapshot, &prof, 100.0);
  ASSERT_TRUE(s2.sample.in_bps.has_value());
  EXPECT_DOUBLE_EQ(*s2.sample.in_bps, 1'000'000.0);
  EXPECT_DOUBLE_EQ(*s2.sample.in_utilisation, 0.01);
  EXPECT_FALSE(s2.sample.counter_discontinuity);
}

TEST(DecodeTest, OtherNameAtIfIndexMeansIndexMoved) {
  std::vector<ResolvedInterface> ifs{{"uni", 3, {}}};
  PlanOptions opt;
  opt.hc_supported = true;
  auto plan = buildPollPlan(ifs, nullptr, opt);
  auto d = startDecode(1, 0);
  decodePdu(plan[0], answer(plan[0], 100, 5, "uplink"), d);
  auto s = buildSample("dev", ifs[0], d.ifaces[0], TimePoint{}, nullptr, nullptr, std::nullopt);
  EXPECT_TRUE(s.index_moved);
}

TEST(DecodeTest, WrongOidInReplyIsRecordedNotTrusted) {
  std::vector<ResolvedInterface> ifs{{"uni", 3, {}}};
  PlanOptions opt;
  opt.hc_supported = true;
  auto plan = buildPollPlan(ifs, nullptr, opt);
  auto reply = answer(plan[0], 100, 5, "uni");
  reply[3].oid = oidCat(oids::kIfHcInOctets, {4});  // an agent answering for another ifIndex
  auto d = startDecode(1, 0);
  decodePdu(plan[0], reply, d);
  ASSERT_EQ(d.problems.size(), 1u);
  EXPECT_FALSE(d.ifaces[0].hc_in.has_value());
  reply.pop_back();
  auto d2 = startDecode(1, 0);
  decodePdu(plan[0], reply, d2);
  EXPECT_FALSE(d2.problems.empty());
}

TEST(DecodeTest, NoSuchObjectOnHcCountersMarks32BitDevice) {
  std::vector<ResolvedInterface> ifs{{"e0", 2, {}}};
  auto plan = buildPollPlan(ifs, nullptr, PlanOptions{});
  auto reply = answer(plan[0], 100, 4294967000u, "e0");
  for (std::size_t i = 0; i < reply.size(); ++i)
    if (plan[0].slots[i].field == Field::HcIn || plan[0].slots[i].field == Field::HcOut)
      reply[i].value = v(VarValue::Type::NoSuchObject, 0);
  auto d = startDecode(1, 0);
  decodePdu(plan[0], reply, d);
  EXPECT_TRUE(d.hc_missing);
  auto s = buildSample("d", ifs[0], d.ifaces[0], TimePoint{}, nullptr, nullptr, std::nullopt);
  EXPECT_EQ(s.snapshot.width, CounterWidth::Bits32);
  EXPECT_EQ(s.sample.in_octets, 4294967000u);
}
