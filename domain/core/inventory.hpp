#pragma once
// The monitored fleet as the domain sees it: carrier edge devices, the circuits on them and the
// carrier's announced maintenance windows. Built by the config loader (config/) from TOML and by
// the contract importer; consumed by the engine, the poller and the probes. Plain data, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/time.hpp"

namespace circuitd {

/// SNMP credentials for one device. v2c uses community; v3 uses the USM fields (authPriv).
struct SnmpCredentials {
  enum class Version { V2c, V3 };
  enum class AuthProto { None, Sha, Sha256 };
  enum class PrivProto { None, Aes128 };
  Version version = Version::V2c;
  std::string community;  ///< v2c
  std::string user;       ///< v3 securityName
  AuthProto auth_proto = AuthProto::None;
  std::string auth_key;
  PrivProto priv_proto = PrivProto::None;
  std::string priv_key;
  /// Field-wise equality (reload compares old and new configurations).
  bool operator==(const SnmpCredentials&) const = default;
};

/// How an interface name in the config is matched on the device.
enum class IfNameSource { IfName, IfDescr, IfAlias };

/// Carrier-owned edge equipment in the customer's room (STN/IPRAN access router).
struct Device {
  std::string name;     ///< unique key, e.g. "atn-kqgaj-01"
  std::string address;  ///< IPv4 or IPv6 literal, or a hostname
  std::uint16_t snmp_port = 161;
  SnmpCredentials snmp;
  std::string profile;  ///< vendor profile name (config/profiles/NAME.toml), may be empty
  IfNameSource if_name_source = IfNameSource::IfName;
  std::string site;         ///< site where the device stands (correlation: same-site causes)
  std::string aggregation;  ///< carrier aggregation node it hangs off (correlation), may be empty
  Duration poll_interval{std::chrono::seconds{30}};
  Duration timeout{std::chrono::seconds{2}};
  int retries = 2;
  std::vector<std::string> interfaces;  ///< interface names on the device; empty = not listed
  /// Field-wise equality (reload compares old and new configurations).
  bool operator==(const Device&) const = default;
};

/// How important a circuit is: sets the default probe interval and the alarm severity.
enum class Criticality { Critical, High, Normal, Low };

/// One leased line: a UNI port on a device, plus its uplinks toward the carrier network.
struct Circuit {
  std::string key;       ///< unique key: link_id, or "<contract>#<row>" when it has none
  std::string link_id;   ///< carrier's circuit id, empty when the contract has none
  std::string contract;  ///< contract number
  int contract_row = 0;  ///< row (seq) in the contract's circuit list, 0 if unknown
  std::string site;
  std::string service;                   ///< e.g. "视频专网 STN"
  std::optional<double> bandwidth_mbps;  ///< contracted rate; absent for "/" rows
  std::string device;                    ///< Device::name, empty when the NOC has not mapped it yet
  std::string uni_interface;             ///< customer-facing port on the device
  std::vector<std::string> uplink_interfaces;  ///< line-side ports toward the carrier
  std::string carrier_target;   ///< ICMP target on the carrier side (device WAN/loopback, PE)
  std::string customer_target;  ///< ICMP target on the customer side (customer router / host)
  Duration probe_interval{std::chrono::seconds{10}};
  Criticality criticality = Criticality::Normal;
  std::optional<std::uint16_t> vlan;  ///< for passive capture keyed by VLAN
  std::string prefix;                 ///< for passive capture keyed by IP prefix ("10.1.2.0/24")
  std::string reflector;              ///< "addr:port" of a TWAMP-light reflector, may be empty
  double monthly_fee = 0;             ///< from the contract, for SLA money rules
  double annual_fee = 0;              ///< from the contract (12 x monthly unless pro-rated)
  bool review = false;                ///< the importer flagged this row for a human to check
  std::optional<std::string> term_start;  ///< ISO date
  std::optional<std::string> term_end;    ///< ISO date
  /// Field-wise equality (reload compares old and new configurations).
  bool operator==(const Circuit&) const = default;
};

/// A carrier maintenance window (clause 7.6 cutover notice) or a force-majeure declaration.
struct MaintenanceWindow {
  std::string id;
  TimePoint start;
  TimePoint end;
  std::optional<TimePoint> notified_at;  ///< when the carrier's notice reached the customer
  std::vector<std::string> circuits;     ///< circuit keys in scope; empty with no devices = all
  std::vector<std::string> devices;      ///< device names in scope
  bool force_majeure = false;            ///< clause 11.1 event rather than planned work
  std::string reference;                 ///< carrier's notice number / description
  /// Field-wise equality (reload compares old and new configurations).
  bool operator==(const MaintenanceWindow&) const = default;
};

/// A customer UPS that powers the carrier's equipment at a site (clause 3.1.7(6)), polled over
/// SNMP (UPS-MIB, RFC 1628) like a device.
struct Ups {
  std::string name;     ///< unique key, e.g. "ups-jjdd"
  std::string address;  ///< IPv4 or IPv6 literal, or a hostname
  std::uint16_t snmp_port = 161;
  SnmpCredentials snmp;
  std::string site;  ///< site it powers: the devices of this site depend on it
  Duration poll_interval{std::chrono::seconds{30}};
  Duration timeout{std::chrono::seconds{2}};
  int retries = 2;
  /// Field-wise equality (reload compares old and new configurations).
  bool operator==(const Ups&) const = default;
};

/// The whole fleet.
struct Inventory {
  std::vector<Device> devices;
  std::vector<Ups> ups;  ///< customer UPSs bound to sites
  std::vector<Circuit> circuits;
  std::vector<MaintenanceWindow> maintenance;

  /// Device by name, or nullptr.
  const Device* findDevice(const std::string& name) const {
    for (const auto& d : devices)
      if (d.name == name) return &d;
    return nullptr;
  }
  /// Circuit by key, or nullptr.
  const Circuit* findCircuit(const std::string& key) const {
    for (const auto& c : circuits)
      if (c.key == key) return &c;
    return nullptr;
  }
};

}  // namespace circuitd
