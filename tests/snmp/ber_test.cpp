// The v2c GET hot path's encoder and in-place decoder, checked against net-snmp's own BER
// (snmp_build / snmp_parse) and under random mutation.
#include "probes/snmp/ber.hpp"

#include <gtest/gtest.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <cstring>
#include <random>

#include "probes/snmp/net_snmp.hpp"
#include "probes/snmp/poll_codec.hpp"

using namespace circuitd;
using namespace circuitd::snmp;

namespace {

using Bytes = std::vector<std::uint8_t>;

ResolvedInterface iface(const std::string& name, std::int32_t idx) {
  ResolvedInterface r;
  r.name = name;
  r.if_index = idx;
  return r;
}

std::vector<PduPlan> eightInterfacePlan() {
  std::vector<ResolvedInterface> ifs;
  for (int i = 0; i < 8; ++i) ifs.push_back(iface("GE0/2/" + std::to_string(i), 1000 + i * 37));
  PlanOptions opt;
  opt.hc_supported = true;
  return buildPollPlan(ifs, nullptr, opt);
}

/// Encodes a PDU with net-snmp's snmp_build for a v2c session with `community`.
Bytes netSnmpBuild(netsnmp_pdu* pdu, const std::string& community) {
  detail::ensureNetSnmp();
  netsnmp_session s;
  snmp_sess_init(&s);
  s.version = SNMP_VERSION_2c;
  s.community = reinterpret_cast<u_char*>(const_cast<char*>(community.c_str()));
  s.community_len = community.size();
  pdu->version = SNMP_VERSION_2c;
  pdu->community = static_cast<u_char*>(malloc(community.size() + 1));
  std::memcpy(pdu->community, community.c_str(), community.size() + 1);
  pdu->community_len = community.size();
  size_t len = 65536, offset = 0;
  auto* buf = static_cast<u_char*>(malloc(len));
  const int rc = snmp_build(&buf, &len, &offset, &s, pdu);
  if (rc != 0) ADD_FAILURE() << "snmp_build: " << snmp_api_errstring(s.s_snmp_errno) << " " << rc;
  Bytes out;
  // Reverse encoding (net-snmp's default) fills the buffer from its end.
  if (rc == 0) out.assign(buf + len - offset, buf + len);
  free(buf);
  snmp_free_pdu(pdu);
  return out;
}

void addVar(netsnmp_pdu* pdu, const Oid& o, const VarValue& v) {
  std::vector<oid> name(o.begin(), o.end());
  using T = VarValue::Type;
  long i = static_cast<long>(v.integer);
  unsigned long u = static_cast<unsigned long>(v.integer);
  counter64 c64{static_cast<unsigned long>(v.counter64 >> 32),
                static_cast<unsigned long>(v.counter64 & 0xffffffffu)};
  std::vector<oid> objid(v.oid.begin(), v.oid.end());
  switch (v.type) {
    case T::Integer:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_INTEGER, &i, sizeof i);
      break;
    case T::Counter32:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_COUNTER, &u, sizeof u);
      break;
    case T::Gauge32:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_GAUGE, &u, sizeof u);
      break;
    case T::TimeTicks:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_TIMETICKS, &u, sizeof u);
      break;
    case T::Counter64:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_COUNTER64, &c64, sizeof c64);
      break;
    case T::OctetString:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_OCTET_STR, v.text.data(),
                            v.text.size());
      break;
    case T::IpAddress:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_IPADDRESS, v.text.data(),
                            v.text.size());
      break;
    case T::Opaque:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_OPAQUE, v.text.data(),
                            v.text.size());
      break;
    case T::ObjectId:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_OBJECT_ID, objid.data(),
                            objid.size() * sizeof(oid));
      break;
    case T::NoSuchObject:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), SNMP_NOSUCHOBJECT, nullptr, 0);
      break;
    case T::NoSuchInstance:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), SNMP_NOSUCHINSTANCE, nullptr, 0);
      break;
    case T::EndOfMibView:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), SNMP_ENDOFMIBVIEW, nullptr, 0);
      break;
    case T::Null:
      snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_NULL, nullptr, 0);
      break;
  }
}

/// A v2c Response built by net-snmp.
Bytes netSnmpResponse(const std::string& community, std::int32_t reqid,
                      const std::vector<VarBind>& vbs, long errstat = 0, long errindex = 0) {
  detail::ensureNetSnmp();
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
  pdu->reqid = reqid;
  pdu->errstat = errstat;
  pdu->errindex = errindex;
  for (const auto& vb : vbs) addVar(pdu, vb.oid, vb.value);
  return netSnmpBuild(pdu, community);
}

VarValue val(VarValue::Type t, std::int64_t i = 0) {
  VarValue v;
  v.type = t;
  v.integer = i;
  return v;
}

/// The answer of an agent to a plan PDU, with plausible values per field.
std::vector<VarBind> answer(const PduPlan& plan, std::uint64_t octets) {
  std::vector<VarBind> out;
  for (std::size_t i = 0; i < plan.oids.size(); ++i) {
    VarBind vb;
    vb.oid = plan.oids[i];
    switch (plan.slots[i].field) {
      case Field::SysUpTime:
        vb.value = val(VarValue::Type::TimeTicks, 123456);
        break;
      case Field::Oper:
      case Field::Admin:
        vb.value = val(VarValue::Type::Integer, 1);
        break;
      case Field::HcIn:
      case Field::HcOut:
        vb.value = val(VarValue::Type::Counter64);
        vb.value.counter64 = octets;
        break;
      case Field::HighSpeed:
        vb.value = val(VarValue::Type::Gauge32, 10000);
        break;
      case Field::NameCheck:
        vb.value = val(VarValue::Type::OctetString);
        vb.value.text = "GE0/2/" + std::to_string(plan.slots[i].iface);
        break;
      default:
        vb.value = val(VarValue::Type::Counter32, 4000000000LL);
        break;
    }
    out.push_back(vb);
  }
  return out;
}

void expectSameDecode(const PollDecode& a, const PollDecode& b) {
  EXPECT_EQ(a.sys_uptime, b.sys_uptime);
  EXPECT_EQ(a.hc_missing, b.hc_missing);
  EXPECT_EQ(a.problems, b.problems);
  ASSERT_EQ(a.ifaces.size(), b.ifaces.size());
  for (std::size_t i = 0; i < a.ifaces.size(); ++i) {
    const auto& x = a.ifaces[i];
    const auto& y = b.ifaces[i];
    EXPECT_EQ(x.sys_uptime, y.sys_uptime) << i;
    EXPECT_EQ(x.admin, y.admin) << i;
    EXPECT_EQ(x.oper, y.oper) << i;
    EXPECT_EQ(x.hc_in, y.hc_in) << i;
    EXPECT_EQ(x.hc_out, y.hc_out) << i;
    EXPECT_EQ(x.high_speed, y.high_speed) << i;
    EXPECT_EQ(x.last_change, y.last_change) << i;
    EXPECT_EQ(x.in_errors, y.in_errors) << i;
    EXPECT_EQ(x.out_errors, y.out_errors) << i;
    EXPECT_EQ(x.in_discards, y.in_discards) << i;
    EXPECT_EQ(x.discontinuity_time, y.discontinuity_time) << i;
    EXPECT_EQ(x.name_seen, y.name_seen) << i;
    EXPECT_EQ(x.name_absent, y.name_absent) << i;
  }
}

}  // namespace

TEST(BerTest, EncodedRequestIsByteForByteWhatNetSnmpBuilds) {
  for (const auto& pdu : eightInterfacePlan()) {
    auto ours = encodeGetRequest("public", pdu.oids);
    setRequestId(ours, 0x01020304);
    netsnmp_pdu* ref = snmp_pdu_create(SNMP_MSG_GET);
    ref->reqid = 0x01020304;
    for (const auto& o : pdu.oids) {
      std::vector<oid> name(o.begin(), o.end());
      snmp_add_null_var(ref, name.data(), name.size());
    }
    const auto theirs = netSnmpBuild(ref, "public");
    ASSERT_FALSE(theirs.empty());
    EXPECT_EQ(ours.bytes, theirs);
  }
}

TEST(BerTest, NetSnmpParsesTheEncodedRequestBack) {
  detail::ensureNetSnmp();
  const auto plan = eightInterfacePlan();
  // A long community exercises the long-form length of the whole message.
  const std::string community(200, 'c');
  auto req = encodeGetRequest(community, plan[0].oids);
  setRequestId(req, kMaxRequestId);
  netsnmp_session s;
  snmp_sess_init(&s);
  s.version = SNMP_VERSION_2c;
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  ASSERT_EQ(snmp_parse(nullptr, &s, pdu, req.bytes.data(), req.bytes.size()), 0)
      << snmp_api_errstring(s.s_snmp_errno);
  EXPECT_EQ(pdu->command, SNMP_MSG_GET);
  EXPECT_EQ(pdu->version, SNMP_VERSION_2c);
  EXPECT_EQ(pdu->reqid, kMaxRequestId);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(pdu->community), pdu->community_len), community);
  std::size_t i = 0;
  for (auto* v = pdu->variables; v; v = v->next_variable, ++i) {
    ASSERT_LT(i, plan[0].oids.size());
    EXPECT_EQ(Oid(v->name, v->name + v->name_length), plan[0].oids[i]);
    EXPECT_EQ(v->type, ASN_NULL);
  }
  EXPECT_EQ(i, plan[0].oids.size());
  snmp_free_pdu(pdu);
}

TEST(BerTest, ReadsEveryValueTypeNetSnmpEncodes) {
  const Oid base = *parseOid("1.3.6.1.4.1.99999.1");
  std::vector<VarBind> vbs;
  auto add = [&](VarValue v) {
    vbs.push_back(VarBind{oidCat(base, {static_cast<std::uint32_t>(vbs.size())}), v});
  };
  using T = VarValue::Type;
  add(val(T::Integer, -123456));
  add(val(T::Integer, 2147483647));
  add(val(T::Counter32, 4294967295LL));
  add(val(T::Gauge32, 128));
  add(val(T::TimeTicks, 0));
  VarValue c = val(T::Counter64);
  c.counter64 = 0xfedcba9876543210ULL;
  add(c);
  VarValue s = val(T::OctetString);
  s.text = std::string("GE0/2/1\0", 8);
  add(s);
  VarValue ip = val(T::IpAddress);
  ip.text = std::string("\x7f\x00\x00\x01", 4);
  add(ip);
  VarValue op = val(T::Opaque);
  op.text = "\x9f\x78\x04";
  add(op);
  VarValue id = val(T::ObjectId);
  id.oid = *parseOid("1.3.6.1.2.1.2.2.1.1.4294967295");
  add(id);
  add(val(T::Null));
  add(val(T::NoSuchObject));
  add(val(T::NoSuchInstance));
  add(val(T::EndOfMibView));

  const auto bytes = netSnmpResponse("public", 0x01000007, vbs, 0, 0);
  ResponseView r;
  ASSERT_EQ(parseResponse(bytes.data(), bytes.size(), r), ResponseCheck::Ok);
  EXPECT_EQ(r.community, "public");
  EXPECT_EQ(r.request_id, 0x01000007);
  EXPECT_EQ(r.error_status, 0);
  ASSERT_EQ(r.varbind_count, vbs.size());
  VarbindReader rd(r);
  const std::uint8_t* o = nullptr;
  std::size_t on = 0;
  ValueView v;
  for (std::size_t i = 0; i < vbs.size(); ++i) {
    ASSERT_TRUE(rd.next(o, on, v)) << i;
    EXPECT_TRUE(oidEquals(o, on, vbs[i].oid)) << i;
    EXPECT_FALSE(oidEquals(o, on, base)) << i;
    EXPECT_EQ(decodeOid(o, on), vbs[i].oid);
    const auto got = v.toVarValue();
    const auto& want = vbs[i].value;
    EXPECT_EQ(got.type, want.type) << i;
    EXPECT_EQ(got.integer, want.integer) << i;
    EXPECT_EQ(got.counter64, want.counter64) << i;
    EXPECT_EQ(got.text, want.text) << i;
    EXPECT_EQ(got.oid, want.oid) << i;
  }
  EXPECT_FALSE(rd.next(o, on, v));
}

TEST(BerTest, HeaderChecks) {
  const auto plan = eightInterfacePlan();
  const auto good = netSnmpResponse("public", 0x01000001, answer(plan[0], 1), 5, 3);
  ResponseView r;
  ASSERT_EQ(parseResponse(good.data(), good.size(), r), ResponseCheck::Ok);
  EXPECT_EQ(r.error_status, 5);
  EXPECT_EQ(r.error_index, 3);
  // Our own GetRequest is not a Response.
  auto req = encodeGetRequest("public", plan[0].oids);
  EXPECT_EQ(parseResponse(req.bytes.data(), req.bytes.size(), r), ResponseCheck::NotResponse);
  // SNMPv1 (version 0).
  auto v1 = good;
  ASSERT_EQ(v1[v1[1] & 0x80 ? 2 + (v1[1] & 0x7f) + 2 : 4], 0x01);
  v1[v1[1] & 0x80 ? 2 + (v1[1] & 0x7f) + 2 : 4] = 0x00;
  EXPECT_EQ(parseResponse(v1.data(), v1.size(), r), ResponseCheck::WrongVersion);
  // Every truncation is malformed, and so is trailing garbage.
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(parseResponse(good.data(), n, r), ResponseCheck::Malformed) << n;
  auto longer = good;
  longer.push_back(0);
  EXPECT_EQ(parseResponse(longer.data(), longer.size(), r), ResponseCheck::Malformed);
  // An outer length far larger than the datagram.
  Bytes huge{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff};
  huge.insert(huge.end(), good.begin() + 2 + ((good[1] & 0x80) ? (good[1] & 0x7f) : 0), good.end());
  EXPECT_EQ(parseResponse(huge.data(), huge.size(), r), ResponseCheck::Malformed);
}

TEST(BerTest, InPlaceDecodeEqualsTheVarbindDecode) {
  const auto plan = eightInterfacePlan();
  ASSERT_EQ(plan.size(), 2u);
  PollDecode a = startDecode(8, 0), b = startDecode(8, 0);
  for (const auto& pdu : plan) {
    const auto vbs = answer(pdu, 0xffffffffffULL);
    decodePdu(pdu, vbs, a);
    const auto bytes = netSnmpResponse("public", 0x01000001, vbs);
    ResponseView r;
    ASSERT_EQ(parseResponse(bytes.data(), bytes.size(), r), ResponseCheck::Ok);
    const auto sent = encodeGetRequest("public", pdu.oids);
    decodeResponse(pdu, r, b, &sent);
  }
  EXPECT_TRUE(b.problems.empty());
  ASSERT_TRUE(b.ifaces[7].hc_in.has_value());
  EXPECT_EQ(*b.ifaces[7].hc_in, 0xffffffffffULL);
  EXPECT_EQ(b.ifaces[3].name_seen, "GE0/2/3");
  expectSameDecode(a, b);

  // Reusing the buffers for the next round starts from nothing.
  resetDecode(b, 8, 0);
  expectSameDecode(b, startDecode(8, 0));
}

TEST(BerTest, WrongOidOrCountIsRecordedNotTrusted) {
  const auto plan = eightInterfacePlan();
  auto vbs = answer(plan[0], 7);
  vbs[3].oid.back() += 1;  // the agent answered another instance
  vbs.pop_back();
  PollDecode a = startDecode(8, 0), b = startDecode(8, 0), c = startDecode(8, 0);
  decodePdu(plan[0], vbs, a);
  const auto bytes = netSnmpResponse("public", 0x01000001, vbs);
  ResponseView r;
  ASSERT_EQ(parseResponse(bytes.data(), bytes.size(), r), ResponseCheck::Ok);
  decodeResponse(plan[0], r, b);
  ASSERT_EQ(b.problems.size(), 2u);
  expectSameDecode(a, b);
  // Comparing the encoded bytes with those of the request gives the same verdicts.
  const auto sent = encodeGetRequest("public", plan[0].oids);
  decodeResponse(plan[0], r, c, &sent);
  expectSameDecode(a, c);
  EXPECT_FALSE(b.ifaces[0].hc_in.has_value());  // slot 3 is interface 0's ifHCInOctets
}

TEST(BerTest, RandomMutationsOfARealReplyNeverCrashOrOverread) {
  const auto plan = eightInterfacePlan();
  const auto good = netSnmpResponse("public", 0x01000001, answer(plan[0], 1234567));
  std::mt19937 rng(20261125);
  std::size_t accepted = 0;
  PollDecode d = startDecode(8, 0);
  for (int iter = 0; iter < 5000; ++iter) {
    auto m = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % m.size();
      switch (rng() % 5) {
        case 0:
          m[at] = static_cast<std::uint8_t>(rng());
          break;  // random byte
        case 1:
          m[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;  // bit flip
        case 2:
          m.resize(at + 1);
          break;  // truncate
        case 3:
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng()));
          break;
        case 4:
          m[at] = static_cast<std::uint8_t>(0x80 | (rng() % 8));
          break;  // long-form length
      }
      if (m.empty()) m.push_back(0x30);
    }
    // Decode from an exact-size heap copy so that a read past the end would hit the
    // allocation's bound (visible under ASan/valgrind).
    std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[m.size()]);
    std::copy(m.begin(), m.end(), buf.get());
    ResponseView r;
    if (parseResponse(buf.get(), m.size(), r) != ResponseCheck::Ok) continue;
    ++accepted;
    VarbindReader rd(r);
    const std::uint8_t* o = nullptr;
    std::size_t on = 0;
    ValueView v;
    std::size_t n = 0;
    while (rd.next(o, on, v)) {
      ASSERT_GE(o, buf.get());
      ASSERT_LE(o + on, buf.get() + m.size());
      if (v.data) ASSERT_LE(v.data + v.size, buf.get() + m.size());
      ++n;
    }
    EXPECT_EQ(n, r.varbind_count);
    resetDecode(d, 8, 0);
    decodeResponse(plan[0], r, d);
  }
  // Value-byte mutations keep the structure: some mutants must still be read.
  EXPECT_GT(accepted, 100u);
}
