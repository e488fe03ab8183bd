#pragma once
// Notification decoding, pure: the varbinds of a v2c/v3 trap or inform (or a v1 Trap-PDU
// translated per RFC 3584) -> which notification it is, its kind, and the interface it names.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/observation.hpp"
#include "domain/core/result.hpp"
#include "probes/snmp/profile.hpp"
#include "probes/snmp/varbind.hpp"

namespace circuitd::snmp {

/// What a notification is.
struct TrapDecode {
  Oid trap_oid;
  TrapKind kind = TrapKind::Other;
  std::string name;                      ///< "linkDown", a profile trap name, or empty
  std::optional<std::int32_t> if_index;  ///< from an ifTable/ifXTable varbind instance
  std::optional<std::uint32_t> sys_uptime;
};

/// Decodes v2 notification varbinds (sysUpTime.0, snmpTrapOID.0, objects...). The standard
/// traps are known; `vendor` traps come from the loaded profiles. Errors say what is missing.
Result<TrapDecode> decodeNotification(const std::vector<VarBind>& vbs,
                                      const std::vector<ProfileTrap>& vendor);

/// RFC 3584 3.1: the snmpTrapOID of an SNMPv1 trap (generic 0..5 -> snmpTraps.N+1;
/// enterpriseSpecific -> enterprise.0.specific).
Oid v1TrapOid(const Oid& enterprise, long generic, long specific);

}  // namespace circuitd::snmp
