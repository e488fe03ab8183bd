#pragma once
// What the probes push into the core: timestamped samples and events. Probes never decide;
// the engine (domain/engine) turns these into circuit state, incidents and responsibility.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "domain/core/time.hpp"

namespace circuitd {

/// IF-MIB ifAdminStatus / ifOperStatus values (RFC 2863).
enum class IfStatus : int {
  Up = 1,
  Down = 2,
  Testing = 3,
  Unknown = 4,
  Dormant = 5,
  NotPresent = 6,
  LowerLayerDown = 7
};

/// Result of one SNMP poll round of a device: did it answer, and did it reboot.
struct DevicePoll {
  std::string device;
  TimePoint time;
  bool reachable = false;                   ///< answered within timeout and retries
  std::string error;                        ///< "timeout", "authentication failure", ...
  std::optional<std::uint32_t> sys_uptime;  ///< TimeTicks (1/100 s)
  bool rebooted = false;                    ///< sysUpTime went backwards since the last poll
};

/// One interface of a device as seen in one poll.
struct InterfaceSample {
  std::string device;
  std::string if_name;  ///< name as configured (UNI or uplink)
  std::int32_t if_index = 0;
  TimePoint time;
  IfStatus admin = IfStatus::Unknown;
  IfStatus oper = IfStatus::Unknown;
  std::optional<std::uint32_t> last_change;  ///< ifLastChange TimeTicks
  std::optional<std::uint32_t> high_speed_mbps;
  std::optional<double> in_bps;   ///< rate since the previous sample; absent on the
  std::optional<double> out_bps;  ///< first sample or after a discontinuity
  std::optional<double> in_errors_per_s;
  std::optional<double> out_errors_per_s;
  std::optional<double> in_discards_per_s;
  std::optional<double> rx_power_dbm;        ///< optical receive power (vendor profile)
  std::optional<double> tx_power_dbm;        ///< optical transmit power (vendor profile)
  std::optional<std::uint64_t> in_octets;    ///< raw ifHCInOctets (or ifInOctets on 32-bit agents)
  std::optional<std::uint64_t> out_octets;   ///< raw ifHCOutOctets (or ifOutOctets)
  std::optional<std::uint32_t> in_errors;    ///< raw ifInErrors
  std::optional<std::uint32_t> out_errors;   ///< raw ifOutErrors
  std::optional<std::uint32_t> in_discards;  ///< raw ifInDiscards
  bool counter_discontinuity =
      false;  ///< rates withheld: reboot or ifCounterDiscontinuityTime moved
  std::optional<double> in_utilisation;   ///< in_bps / contracted bandwidth (0..1+), when known
  std::optional<double> out_utilisation;  ///< out_bps / contracted bandwidth, when known
  /// Other vendor-profile metrics (name, value in the profile's unit), e.g. optical temperature.
  std::vector<std::pair<std::string, double>> extra;
};

/// Kinds of notification the trap receiver recognises.
enum class TrapKind {
  LinkDown,
  LinkUp,
  ColdStart,
  WarmStart,
  DyingGasp,
  PowerLoss,
  OpticalAlarm,
  OpticalClear,
  CfmLoc,
  CfmLocClear,
  Other
};

/// A trap or inform received from a device.
struct TrapEvent {
  std::string device;  ///< device name, or the source address when unknown
  TimePoint time;
  TrapKind kind = TrapKind::Other;
  std::string trap_oid;  ///< numeric snmpTrapOID
  std::string if_name;   ///< interface concerned, when the trap names one
  std::optional<std::int32_t> if_index;
  std::string source;     ///< sender's transport address, e.g. "127.0.0.1:40123"
  std::string trap_name;  ///< name from the standard MIBs or the vendor profile, else empty
  bool inform = false;    ///< arrived as an InformRequest (and was acknowledged)
  /// linkDown/linkUp varbinds (SNMPv2-MIB linkDown OBJECTS { ifIndex, ifAdminStatus,
  /// ifOperStatus }, RFC 2863): absent when the trap did not carry them.
  std::optional<IfStatus> admin;
  std::optional<IfStatus> oper;
  /// Optical receive power carried by a vendor optical alarm, when the profile maps it.
  std::optional<double> rx_power_dbm;
};

/// One ICMP echo (or one probe of any reachability kind) to a target.
struct ReachSample {
  std::string target;  ///< address as configured
  TimePoint time;      ///< when the probe was sent
  bool replied = false;
  std::optional<Duration> rtt;   ///< millisecond resolution for the engine
  std::optional<double> rtt_ms;  ///< exact RTT in ms (microsecond precision)
  std::string error;             ///< "timeout", "host unreachable", "send failed: ..."
};

/// Ethernet CFM continuity (802.1ag CCM) seen on a capture interface, per MEP.
struct CfmSample {
  std::string mep;      ///< "md-level/vlan/mepid" or as configured
  std::string circuit;  ///< circuit key when the MEP is mapped, else empty
  TimePoint time;
  bool loss_of_continuity = false;  ///< no CCM for 3.5 intervals
  bool rdi = false;                 ///< remote defect indication bit seen
};

/// Throughput measured for a circuit (passive capture, SNMP counters or an active test).
struct ThroughputSample {
  std::string circuit;
  TimePoint time;
  enum class Source { SnmpCounters, Capture, ActiveTest } source = Source::SnmpCounters;
  double in_bps = 0;
  double out_bps = 0;
  std::optional<double> loss_ratio;  ///< active test only
  std::optional<double> delay_ms;
  std::optional<double> jitter_ms;
};

/// The monitor's own health: its uplink and whether its probes can send at all.
struct MonitorHealth {
  TimePoint time;
  bool uplink_up = true;
  bool probes_can_send = true;
  std::string detail;
};

/// UPS-MIB (RFC 1628) upsOutputSource values.
enum class UpsOutputSource : int {
  Other = 1,
  None = 2,  ///< the UPS delivers no output power
  Normal = 3,
  Bypass = 4,
  Battery = 5,
  Booster = 6,
  Reducer = 7
};

/// UPS-MIB (RFC 1628) upsBatteryStatus values.
enum class UpsBatteryStatus : int { Unknown = 1, Normal = 2, Low = 3, Depleted = 4 };

/// One poll of a customer UPS (UPS-MIB, RFC 1628) that powers carrier equipment at a site
/// (clause 3.1.7(6)). The engine binds it to its site through Inventory::ups.
struct UpsSample {
  std::string ups;  ///< Ups::name
  TimePoint time;
  bool reachable = false;                          ///< the UPS agent answered
  std::string error;                               ///< "timeout", ... when it did not
  std::optional<UpsOutputSource> output_source;    ///< upsOutputSource.0
  std::optional<UpsBatteryStatus> battery_status;  ///< upsBatteryStatus.0
  std::optional<std::int64_t> seconds_on_battery;  ///< upsSecondsOnBattery.0 (0 on mains)
  std::optional<std::int64_t> alarms_present;      ///< upsAlarmsPresent.0
};

/// Anything a probe can push into the engine.
using Observation = std::variant<DevicePoll, InterfaceSample, TrapEvent, ReachSample, CfmSample,
                                 ThroughputSample, MonitorHealth, UpsSample>;

/// Timestamp of any observation.
TimePoint observationTime(const Observation& o);

}  // namespace circuitd
