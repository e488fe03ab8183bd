#include "probes/snmp/trap_codec.hpp"

#include <gtest/gtest.h>

using namespace circuitd;
using namespace circuitd::snmp;

namespace {
VarBind trapOid(const Oid& o) {
  VarBind vb;
  vb.oid = oids::kSnmpTrapOid;
  vb.value.type = VarValue::Type::ObjectId;
  vb.value.oid = o;
  return vb;
}
VarBind intVb(const Oid& o, std::int64_t v) {
  VarBind vb;
  vb.oid = o;
  vb.value.type = VarValue::Type::Integer;
  vb.value.integer = v;
  return vb;
}
}  // namespace

TEST(TrapCodecTest, LinkDownCarriesIfIndexFromVarbindInstance) {
  auto d = decodeNotification({trapOid(oids::kLinkDown), intVb(oidCat(oids::kIfIndex, {7}), 7),
                               intVb(oidCat(oids::kIfAdminStatus, {7}), 1)},
                              {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, TrapKind::LinkDown);
  EXPECT_EQ(d->name, "linkDown");
  EXPECT_EQ(d->if_index, 7);
}

TEST(TrapCodecTest, VendorTrapFromProfile) {
  ProfileTrap t{*parseOid("1.3.6.1.4.1.2011.5.25.129.2.1.19"), "hwEntityDyingGasp",
                TrapKind::DyingGasp};
  auto d = decodeNotification({trapOid(t.oid)}, {t});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, TrapKind::DyingGasp);
  EXPECT_EQ(d->name, "hwEntityDyingGasp");
  EXPECT_FALSE(d->if_index.has_value());
}

TEST(TrapCodecTest, UnknownTrapIsOther) {
  auto d = decodeNotification({trapOid(*parseOid("1.3.6.1.4.1.9999.1"))}, {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, TrapKind::Other);
}

TEST(TrapCodecTest, MissingSnmpTrapOidIsAnError) {
  EXPECT_FALSE(decodeNotification({intVb(oidCat(oids::kIfIndex, {1}), 1)}, {}));
  VarBind bad = trapOid({});
  bad.value.type = VarValue::Type::Integer;
  EXPECT_FALSE(decodeNotification({bad}, {}));
}

TEST(TrapCodecTest, V1GenericAndEnterpriseTrapsMapPerRfc3584) {
  EXPECT_EQ(v1TrapOid({1, 3, 6, 1, 4, 1, 2011}, 2, 0), oids::kLinkDown);
  EXPECT_EQ(v1TrapOid({1, 3, 6, 1, 4, 1, 2011}, 0, 0), oids::kColdStart);
  EXPECT_EQ(formatOid(v1TrapOid({1, 3, 6, 1, 4, 1, 2011}, 6, 19)), "1.3.6.1.4.1.2011.0.19");
}
