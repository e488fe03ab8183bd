#pragma once
// Demarcation rules as data: an ordered list of evidence patterns, each naming the fault location,
// the responsible party and the contract clause it rests on. First match wins. The built-in set
// (default_rules.toml) and rule files are read by config/rules_file.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/decision.hpp"

namespace circuitd::engine {

/// Evidence facts the rules test. Each is true, false or unknown (evidence missing).
enum class Fact : std::uint8_t {
  MonitorBlind,
  MaintenanceWindow,
  MaintenanceNoticeOk,
  ForceMajeure,
  DeviceSilent,
  SysUptimeReset,
  DyingGasp,
  UplinkDown,
  OpticalLow,
  OpticalLos,
  UniDown,
  UniAdminDown,
  CarrierIcmpFail,
  CustomerIcmpFail,
  CfmLoc,
  LossHigh,
  LatencyHigh,
  UtilisationHigh,
  DeviceNeighboursFailing,
  UplinkNeighboursFailing,
  AggregationNeighboursFailing,
  SiteNeighboursFailing,
  CircuitDown,
  CircuitDegraded,
  kCount
};

/// Stable snake_case name of a fact, as used in rule files and evidence.
std::string_view toString(Fact f);
/// Inverse of toString.
std::optional<Fact> parseFact(std::string_view s);

/// Tri-state facts packed in two bit sets: known (evidence present) and value.
struct FactSet {
  std::uint32_t known = 0;  ///< bit set: the fact has evidence
  std::uint32_t value = 0;  ///< bit set: the fact is true (meaningful only when known)
  /// Records a known value.
  void set(Fact f, bool v) {
    known |= bit(f);
    if (v)
      value |= bit(f);
    else
      value &= ~bit(f);
  }
  /// Marks the fact as unknown.
  void unset(Fact f) {
    known &= ~bit(f);
    value &= ~bit(f);
  }
  /// True when known and true.
  bool isTrue(Fact f) const { return (known & value & bit(f)) != 0; }
  /// True when known and false.
  bool isFalse(Fact f) const { return (known & ~value & bit(f)) != 0; }
  /// True when no evidence.
  bool isUnknown(Fact f) const { return (known & bit(f)) == 0; }
  /// Bit of one fact.
  static constexpr std::uint32_t bit(Fact f) { return 1u << static_cast<unsigned>(f); }
};
static_assert(static_cast<unsigned>(Fact::kCount) <= 32, "FactSet holds 32 facts");

/// One demarcation rule: all conditions must hold (`fact` true, `!fact` false, `?fact` unknown).
struct Rule {
  std::string id;                  ///< e.g. "carrier-line-uplink-down"
  std::uint32_t need_true = 0;     ///< facts that must be known true
  std::uint32_t need_false = 0;    ///< facts that must be known false
  std::uint32_t need_unknown = 0;  ///< facts that must be unknown
  std::vector<std::string> when;   ///< conditions as written, for docs and evidence
  FaultLocation location = FaultLocation::Unknown;
  Party party = Party::Undetermined;
  std::string clause;     ///< contract clause, e.g. "3.2.6"
  std::string summary;    ///< English line, may contain {circuit} {device} {site} {aggregation}
  std::string next_step;  ///< required when party is undetermined
  /// True when every condition holds for these facts.
  bool matches(const FactSet& f) const {
    return (f.known & f.value & need_true) == need_true &&
           (f.known & ~f.value & need_false) == need_false &&
           (~f.known & need_unknown) == need_unknown;
  }
};

/// An ordered rule set; the first matching rule decides.
struct Rules {
  std::string origin;  ///< "built-in" or the file name
  std::vector<Rule> rules;
  /// First rule matching f, or nullptr.
  const Rule* match(const FactSet& f) const;
};

}  // namespace circuitd::engine
