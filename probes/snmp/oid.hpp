#pragma once
// Numeric object identifiers. Debian ships no MIB files on these machines, so every OID circuitd
// uses is numeric; the constants below were checked against docs/DOMAIN facts (snmptranslate -On
// on the IETF MIB texts): SNMPv2-MIB, IF-MIB, ENTITY-MIB, ENTITY-SENSOR-MIB.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/result.hpp"

namespace circuitd::snmp {

/// A numeric OID as a list of sub-identifiers.
using Oid = std::vector<std::uint32_t>;

/// Parses "1.3.6.1.2.1.1.3.0" (a leading dot is allowed); `where` names the source on error.
Result<Oid> parseOid(std::string_view text, const std::string& where = {});
/// Dotted form without a leading dot.
std::string formatOid(const Oid& oid);
/// `prefix` followed by `suffix` sub-identifiers.
Oid oidCat(const Oid& prefix, std::initializer_list<std::uint32_t> suffix);
/// True when `oid` lies strictly inside the subtree `root`.
bool oidInSubtree(const Oid& oid, const Oid& root);

/// Numeric OIDs used by the poller and the trap receiver.
namespace oids {
inline const Oid kSysUpTime{1, 3, 6, 1, 2, 1, 1, 3, 0};              ///< sysUpTime.0 (TimeTicks)
inline const Oid kSysObjectId{1, 3, 6, 1, 2, 1, 1, 2, 0};            ///< sysObjectID.0
inline const Oid kSnmpTrapOid{1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};      ///< snmpTrapOID.0
inline const Oid kIfIndex{1, 3, 6, 1, 2, 1, 2, 2, 1, 1};             ///< ifIndex column
inline const Oid kIfDescr{1, 3, 6, 1, 2, 1, 2, 2, 1, 2};             ///< ifDescr column
inline const Oid kIfAdminStatus{1, 3, 6, 1, 2, 1, 2, 2, 1, 7};       ///< ifAdminStatus column
inline const Oid kIfOperStatus{1, 3, 6, 1, 2, 1, 2, 2, 1, 8};        ///< ifOperStatus column
inline const Oid kIfLastChange{1, 3, 6, 1, 2, 1, 2, 2, 1, 9};        ///< ifLastChange column
inline const Oid kIfInOctets{1, 3, 6, 1, 2, 1, 2, 2, 1, 10};         ///< ifInOctets (Counter32)
inline const Oid kIfInDiscards{1, 3, 6, 1, 2, 1, 2, 2, 1, 13};       ///< ifInDiscards (Counter32)
inline const Oid kIfInErrors{1, 3, 6, 1, 2, 1, 2, 2, 1, 14};         ///< ifInErrors (Counter32)
inline const Oid kIfOutOctets{1, 3, 6, 1, 2, 1, 2, 2, 1, 16};        ///< ifOutOctets (Counter32)
inline const Oid kIfOutErrors{1, 3, 6, 1, 2, 1, 2, 2, 1, 20};        ///< ifOutErrors (Counter32)
inline const Oid kIfName{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1};          ///< ifName column
inline const Oid kIfHcInOctets{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6};    ///< ifHCInOctets (Counter64)
inline const Oid kIfHcOutOctets{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10};  ///< ifHCOutOctets (Counter64)
inline const Oid kIfHighSpeed{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15};    ///< ifHighSpeed (Mbit/s)
inline const Oid kIfAlias{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18};        ///< ifAlias column
inline const Oid kIfCounterDiscontinuityTime{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 19};  ///< TimeStamp
inline const Oid kEntPhysicalName{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7};  ///< entPhysicalName
inline const Oid kEntAliasMappingIdentifier{1,  3, 6, 1, 2, 1,
                                            47, 1, 3, 2, 1, 2};             ///< -> ifIndex OID
inline const Oid kEntPhySensorScale{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 2};      ///< SI prefix enum
inline const Oid kEntPhySensorPrecision{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 3};  ///< decimal places
inline const Oid kColdStart{1, 3, 6, 1, 6, 3, 1, 1, 5, 1};  ///< coldStart notification
inline const Oid kWarmStart{1, 3, 6, 1, 6, 3, 1, 1, 5, 2};  ///< warmStart notification
inline const Oid kLinkDown{1, 3, 6, 1, 6, 3, 1, 1, 5, 3};   ///< linkDown notification
inline const Oid kLinkUp{1, 3, 6, 1, 6, 3, 1, 1, 5, 4};     ///< linkUp notification
}  // namespace oids

}  // namespace circuitd::snmp
