#pragma once
// The poller's pure codec: interface-name resolution (ifName/ifDescr/ifAlias -> ifIndex, and
// the vendor tables' row for each interface), the request plan (which exact instances go in
// which PDU) and the varbind -> InterfaceSample decoding. No sockets, no net-snmp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"
#include "probes/snmp/ber.hpp"
#include "probes/snmp/counters.hpp"
#include "probes/snmp/oid.hpp"
#include "probes/snmp/profile.hpp"
#include "probes/snmp/varbind.hpp"

namespace circuitd::snmp {

/// One row of a walked column: the index part after the column OID, and the value.
struct ColumnRow {
  Oid index;
  VarValue value;
};

/// The name column for a configured IfNameSource.
const Oid& nameColumn(IfNameSource source);

/// A configured interface found on the device.
struct ResolvedInterface {
  std::string name;  ///< as configured
  std::int32_t if_index = 0;
  /// Per profile metric (same order as VendorProfile::metrics): the row index appended to the
  /// metric's column, or nullopt when the device has no row for this interface.
  std::vector<std::optional<Oid>> metric_rows;
};

/// Outcome of a name resolution.
struct Resolution {
  std::vector<ResolvedInterface> found;  ///< in the order of the configured names
  std::vector<std::string> missing;      ///< configured names absent on the device
  std::vector<std::string> ambiguous;    ///< names carried by more than one ifIndex
};

/// Tables walked for resolution; only the ones a profile needs are filled.
struct ResolutionTables {
  std::vector<ColumnRow> names;      ///< the configured name column (ifName, ifDescr or ifAlias)
  std::vector<ColumnRow> ent_alias;  ///< entAliasMappingIdentifier rows
  std::vector<ColumnRow> ent_names;  ///< entPhysicalName rows
};

/// Maps configured names to ifIndex (exact match first, then a unique case-insensitive match)
/// and each profile metric to its row.
Resolution resolveInterfaces(const std::vector<std::string>& names, const ResolutionTables& tables,
                             const VendorProfile* profile);

/// What one request slot holds.
enum class Field : std::uint8_t {
  SysUpTime,
  Oper,
  Admin,
  HcIn,
  HcOut,
  In32,
  Out32,
  HighSpeed,
  LastChange,
  InErrors,
  OutErrors,
  InDiscards,
  DiscontinuityTime,
  NameCheck,
  Metric,
  SensorScale,
  SensorPrecision
};

/// One varbind of a request: which field of which interface (and which profile metric).
struct Slot {
  Field field = Field::SysUpTime;
  std::uint16_t iface = 0;
  std::uint16_t metric = 0;
};

/// One GET PDU: exact instances, always starting with sysUpTime.0 so that the counters in it
/// are qualified by the agent clock of the same PDU (RFC 2863 discontinuity rule).
struct PduPlan {
  std::vector<Oid> oids;
  std::vector<Slot> slots;
};

/// Options for building a plan.
struct PlanOptions {
  IfNameSource name_source = IfNameSource::IfName;
  std::optional<bool> hc_supported;  ///< unknown: ask both ifHC* and ifIn/OutOctets once
  std::size_t max_varbinds = 48;     ///< per PDU; an interface's columns never straddle PDUs
};

/// Builds the GET PDUs for a poll round of the resolved interfaces.
std::vector<PduPlan> buildPollPlan(const std::vector<ResolvedInterface>& ifs,
                                   const VendorProfile* profile, const PlanOptions& opt);

/// Everything one interface's slots decoded to.
struct RawInterface {
  std::optional<std::uint32_t> sys_uptime;  ///< sysUpTime of the PDU these came in
  std::optional<IfStatus> admin, oper;
  std::optional<std::uint64_t> hc_in, hc_out;
  std::optional<std::uint32_t> in32, out32;
  std::optional<std::uint32_t> high_speed, last_change, in_errors, out_errors, in_discards;
  std::optional<std::uint32_t> discontinuity_time;
  std::optional<std::string> name_seen;  ///< value of the name column at this ifIndex
  bool name_absent = false;              ///< the ifIndex no longer exists
  std::vector<VarValue> metric_values;   ///< per profile metric
  std::vector<std::optional<std::int64_t>> sensor_scale, sensor_precision;
};

/// Decoded poll round.
struct PollDecode {
  std::optional<std::uint32_t> sys_uptime;  ///< from the first PDU that carried it
  std::vector<RawInterface> ifaces;         ///< same order as the resolved interfaces
  bool hc_missing = false;                  ///< agent lacks ifHCInOctets (32-bit-only device)
  std::vector<std::string> problems;        ///< per-varbind mismatches ("slot 3: OID differs")
};

/// Prepares a PollDecode for n interfaces and m profile metrics.
PollDecode startDecode(std::size_t n_ifaces, std::size_t n_metrics);
/// Same, reusing the buffers of an earlier round.
void resetDecode(PollDecode& d, std::size_t n_ifaces, std::size_t n_metrics);
/// Decodes one PDU's reply into `out`. The reply must hold the plan's OIDs in order; a
/// mismatching OID or count is recorded in `problems`, never trusted.
void decodePdu(const PduPlan& plan, const std::vector<VarBind>& reply, PollDecode& out);
/// The same for a v2c Response read in place (parseResponse accepted it); each varbind's OID
/// is compared with the plan's without decoding it. Does not allocate unless a value is a
/// string (the name check) or something is wrong.
/// With `sent` (the request these OIDs were encoded into) the OIDs are compared as bytes.
void decodeResponse(const PduPlan& plan, const ResponseView& reply, PollDecode& out,
                    const EncodedRequest* sent = nullptr);

/// Per-interface result of building a sample.
struct SampleBuild {
  InterfaceSample sample;
  CounterSnapshot snapshot;  ///< keep for the next round
  bool index_moved = false;  ///< the name at this ifIndex is not the configured one: re-resolve
};

/// Builds an InterfaceSample from decoded values and the previous snapshot (nullptr on the
/// first round). `contracted_mbps` gives utilisation; `check_name` compares name_seen.
SampleBuild buildSample(const std::string& device, const ResolvedInterface& ri,
                        const RawInterface& raw, TimePoint now, const CounterSnapshot* prev,
                        const VendorProfile* profile, std::optional<double> contracted_mbps);

}  // namespace circuitd::snmp
