#include "probes/snmp/trap_codec.hpp"

namespace circuitd::snmp {

namespace {
const Oid kSnmpTraps{1, 3, 6, 1, 6, 3, 1, 1, 5};
const Oid kIfEntry{1, 3, 6, 1, 2, 1, 2, 2, 1};
const Oid kIfXEntry{1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
}  // namespace

Oid v1TrapOid(const Oid& enterprise, long generic, long specific) {
  if (generic >= 0 && generic < 6)
    return oidCat(kSnmpTraps, {static_cast<std::uint32_t>(generic + 1)});
  Oid o = enterprise;
  o.push_back(0);
  o.push_back(static_cast<std::uint32_t>(specific));
  return o;
}

Result<TrapDecode> decodeNotification(const std::vector<VarBind>& vbs,
                                      const std::vector<ProfileTrap>& vendor) {
  TrapDecode d;
  bool have_oid = false;
  for (const auto& vb : vbs) {
    if (vb.oid == oids::kSysUpTime && vb.value.type == VarValue::Type::TimeTicks) {
      d.sys_uptime = static_cast<std::uint32_t>(vb.value.integer);
    } else if (vb.oid == oids::kSnmpTrapOid) {
      if (vb.value.type != VarValue::Type::ObjectId)
        return fail("snmpTrapOID.0", "value is not an OBJECT IDENTIFIER");
      d.trap_oid = vb.value.oid;
      have_oid = true;
    } else if (!d.if_index && vb.oid.size() == kIfEntry.size() + 2 &&
               oidInSubtree(vb.oid, kIfEntry)) {
      d.if_index = static_cast<std::int32_t>(vb.oid.back());
    } else if (!d.if_index && vb.oid.size() == kIfXEntry.size() + 2 &&
               oidInSubtree(vb.oid, kIfXEntry)) {
      d.if_index = static_cast<std::int32_t>(vb.oid.back());
    }
  }
  if (!have_oid) return fail("varbinds", "no snmpTrapOID.0 (not an SNMPv2 notification)");
  if (d.trap_oid == oids::kLinkDown) {
    d.kind = TrapKind::LinkDown;
    d.name = "linkDown";
  } else if (d.trap_oid == oids::kLinkUp) {
    d.kind = TrapKind::LinkUp;
    d.name = "linkUp";
  } else if (d.trap_oid == oids::kColdStart) {
    d.kind = TrapKind::ColdStart;
    d.name = "coldStart";
  } else if (d.trap_oid == oids::kWarmStart) {
    d.kind = TrapKind::WarmStart;
    d.name = "warmStart";
  } else {
    for (const auto& t : vendor) {
      if (t.oid == d.trap_oid) {
        d.kind = t.kind;
        d.name = t.name;
        break;
      }
    }
  }
  return d;
}

}  // namespace circuitd::snmp
