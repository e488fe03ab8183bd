#pragma once
// Vendor profiles (config/profiles/NAME.toml): the extra OIDs read per vendor with their scale
// and unit (first of all the uplink transceiver's optical Rx/Tx power) and the vendor traps the
// receiver names (dying gasp, power loss, optical alarms). Profile files are read by
// config/profile_file.hpp; this header holds the types and the value conversion.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/observation.hpp"
#include "domain/core/result.hpp"
#include "probes/snmp/oid.hpp"
#include "probes/snmp/varbind.hpp"

namespace circuitd::snmp {

/// How a profile metric's raw value becomes a number in its unit.
enum class ValueUnit {
  Raw,         ///< value x scale, unit as named in the profile
  DbmX100,     ///< integer dBm x 100 (HUAWEI-ENTITY-EXTENT-MIB text: "expanded 100 times")
  Dbm,         ///< dBm as a number or a DisplayString ("-9.073", ZXR10OPTICALMIB)
  Microwatt,   ///< integer uW, converted to dBm = 10 log10(uW / 1000)
  HuaweiAuto,  ///< >0 means uW (old firmware), <=0 means dBm x 100 (LibreNMS vrp.yaml rule)
  SensorWatts  ///< ENTITY-SENSOR-MIB watts(6): value x 10^-precision x scale, to dBm
};

/// How the table row of a metric is found for an interface.
enum class MetricIndex {
  IfIndex,          ///< row index = ifIndex (ZXR10 zxr10OpticalTable)
  EntAliasMapping,  ///< row index = entPhysicalIndex mapped to ifIndex by entAliasMappingIdentifier
  EntPhysicalName   ///< row index = entPhysicalIndex whose entPhysicalName matches `entity_name`
};

/// One extra OID column of a vendor.
struct ProfileMetric {
  std::string name;  ///< "rx_power_dbm", "tx_power_dbm" or any name (goes to `extra`)
  Oid column;        ///< table column; the row index is appended
  MetricIndex index = MetricIndex::IfIndex;
  std::string entity_name = "{if}";  ///< EntPhysicalName pattern; {if} = interface name
  ValueUnit unit = ValueUnit::Raw;
  double scale = 1.0;                 ///< multiplier for Raw
  std::vector<std::int64_t> invalid;  ///< raw sentinels meaning "no reading" (e.g. 2147483647)
};

/// A vendor notification the trap receiver recognises.
struct ProfileTrap {
  Oid oid;
  std::string name;
  TrapKind kind = TrapKind::Other;
};

/// A parsed profile.
struct VendorProfile {
  std::string name;
  std::string description;
  std::vector<Oid> sys_object_ids;  ///< sysObjectID prefixes this profile is meant for
  std::vector<ProfileMetric> metrics;
  std::vector<ProfileTrap> traps;
};

/// Optical power reported for "no light" (zero or negative watts): the LOS floor, -40 dBm.
inline constexpr double kNoLightDbm = -40.0;

/// Raw value -> value in the metric's unit (dBm for the power units). nullopt when the value is
/// an exception, a sentinel, or unparseable. `sensor_scale`/`sensor_precision` are the row's
/// entPhySensorScale/Precision for SensorWatts.
std::optional<double> convertMetric(const ProfileMetric& m, const VarValue& v,
                                    std::optional<std::int64_t> sensor_scale = std::nullopt,
                                    std::optional<std::int64_t> sensor_precision = std::nullopt);

}  // namespace circuitd::snmp
