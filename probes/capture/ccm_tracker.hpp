#pragma once
// Continuity tracking per maintenance end point from observed CCM frames (IEEE 802.1ag 20.16,
// remote MEP state machine): a MEP is in loss of continuity when no CCM has arrived for 3.5
// times its CCM interval. Time is the packet time handed in; nothing here reads a clock.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/core/observation.hpp"
#include "probes/capture/frame.hpp"

namespace circuitd::capture {

/// What is known about one MEP.
struct MepState {
  std::string key;      ///< "md-level/vlan/mepid", vlan 0 when untagged
  std::string circuit;  ///< circuit key when the MEP's VLAN maps to one
  std::uint8_t md_level = 0;
  std::uint16_t vlan = 0;
  std::uint16_t mep_id = 0;
  std::string ma_name;
  double interval_ms = 0;     ///< from the last CCM's flags
  std::int64_t first_us = 0;  ///< first CCM seen (packet time, microseconds since epoch)
  std::int64_t last_us = 0;   ///< last CCM seen
  std::uint64_t ccms = 0;
  std::uint64_t rdi_ccms = 0;         ///< CCMs with RDI set
  std::uint64_t sequence_errors = 0;  ///< CCM sequence numbers that did not follow by one
  std::uint64_t loc_events = 0;       ///< times continuity was lost
  bool loc = false;                   ///< currently in loss of continuity
  bool rdi = false;                   ///< last CCM carried RDI
  std::uint32_t last_sequence = 0;
};

/// Per-MEP CCM continuity tracker.
class CcmTracker {
 public:
  /// Number of CCM intervals without a CCM that declare loss of continuity.
  static constexpr double kLocIntervals = 3.5;

  /// Moves packet time to `now_us` and returns a sample for each MEP that lost continuity
  /// (stamped at the instant 3.5 intervals after its last CCM).
  std::vector<CfmSample> advance(std::int64_t now_us);
  /// Records one CCM at `time_us`; returns samples for state changes (first sight, continuity
  /// restored, RDI raised or cleared), after any LOC that `advance` finds first.
  std::vector<CfmSample> onCcm(const CcmInfo& ccm, std::uint16_t vlan, const std::string& circuit,
                               std::int64_t time_us);
  /// All MEPs, ordered by key.
  const std::map<std::string, MepState>& meps() const { return meps_; }

 private:
  std::map<std::string, MepState> meps_;
};

/// The MEP key "md-level/vlan/mepid".
std::string mepKey(std::uint8_t md_level, std::uint16_t vlan, std::uint16_t mep_id);
/// Converts microseconds since the Unix epoch to a TimePoint (millisecond resolution).
TimePoint timeFromMicros(std::int64_t us);

}  // namespace circuitd::capture
