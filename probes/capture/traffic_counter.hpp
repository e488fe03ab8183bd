#pragma once
// Per-circuit traffic and CFM continuity from captured frames (live or from a file: the same
// code path). Circuits are keyed by VLAN id or IP prefix from the configuration; the BPF filter
// built here only narrows what the kernel hands over, the exact attribution happens in user space.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"
#include "domain/core/result.hpp"
#include "probes/capture/ccm_tracker.hpp"
#include "probes/capture/frame.hpp"

namespace circuitd::capture {

/// An IP prefix such as "10.1.2.0/24" or "2001:db8:1::/48".
struct IpPrefix {
  IpAddress network;
  int length = 0;
  /// True when `a` lies inside the prefix (same family).
  bool contains(const IpAddress& a) const;
  /// Canonical text "net/len".
  std::string str() const;
};
/// Parses a prefix; a bare address is a host prefix (/32 or /128).
Result<IpPrefix> parsePrefix(const std::string& text);

/// Counters of one circuit.
struct CircuitTraffic {
  std::string circuit;   ///< circuit key
  std::string keyed_by;  ///< "vlan 100", "10.1.2.0/24" or both
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;      ///< frame length on the wire (pcap orig len, no FCS)
  std::uint64_t in_bytes = 0;   ///< destination inside the circuit's prefix (toward the customer)
  std::uint64_t out_bytes = 0;  ///< source inside the prefix (from the customer)
};

/// Whole-capture counters.
struct CaptureTotals {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t matched = 0;    ///< frames attributed to a circuit
  std::uint64_t unmatched = 0;  ///< readable frames of no configured circuit
  std::uint64_t truncated = 0;  ///< headers cut short by the capture (snap length, damage)
  std::uint64_t malformed = 0;  ///< headers with impossible contents
  std::uint64_t cfm = 0;        ///< CFM frames of any opcode
  std::uint64_t ccm = 0;        ///< CCM frames decoded
  /// Live capture only: frames that passed the kernel filter but found the capture buffer full
  /// (libpcap ps_drop; on Linux the packet socket's tp_drops), so they were never read.
  std::uint64_t dropped = 0;
  /// Live capture only: frames the interface itself dropped (libpcap ps_ifdrop; on Linux, in
  /// promiscuous mode, the interface's rx_missed_errors + rx_fifo_errors: all its traffic, not
  /// only what the filter passes).
  std::uint64_t interface_dropped = 0;
  std::int64_t first_us = 0;  ///< time of the first frame (microseconds since the epoch)
  std::int64_t last_us = 0;   ///< time of the last frame
  /// The first few problems, "frame N: reason", so an operator can find them in the file.
  std::vector<std::string> problems;
};

/// What a capture counted in one window [start_us, end_us): frames of any kind and per-circuit
/// traffic, with the per-circuit bit rates over the window as the engine's samples.
struct CaptureWindow {
  std::int64_t start_us = 0;
  std::int64_t end_us = 0;
  std::uint64_t frames = 0;  ///< every frame read, as CaptureTotals::frames
  std::uint64_t bytes = 0;
  std::uint64_t matched = 0;
  std::uint64_t unmatched = 0;
  /// Drops the kernel reported between the previous boundary and this one (CaptureTotals::
  /// dropped, interface_dropped). A drop is known only by count, not by time: with frames still
  /// queued in the buffer, some of these may belong to the next window's span; the sum over
  /// windows is exact. When non-zero, the window's counts and rates are lower bounds.
  std::uint64_t dropped = 0;
  std::uint64_t interface_dropped = 0;
  std::vector<CircuitTraffic> circuits;   ///< counts of the window, one per keyed circuit
  std::vector<ThroughputSample> samples;  ///< rates of the window (source Capture, stamped end_us)
};

/// Rate-limits the warning about frames a live capture lost: windows with drops accumulate, and
/// a summary is due at most once per `every` (the first one at once); drops of the windows in
/// between go into the next summary.
class DropWarnings {
 public:
  using Clock = std::chrono::steady_clock;
  struct Summary {
    std::uint64_t dropped = 0;            ///< capture buffer full (CaptureWindow::dropped)
    std::uint64_t interface_dropped = 0;  ///< dropped by the interface
    std::uint64_t windows = 0;            ///< windows these drops were reported in
  };
  explicit DropWarnings(Clock::duration every = std::chrono::minutes{1}) : every_(every) {}
  /// Adds a window's drops; returns what to warn about now, if anything.
  std::optional<Summary> add(const CaptureWindow& w, Clock::time_point now);

 private:
  Clock::duration every_;
  std::optional<Clock::time_point> last_;
  Summary pending_;
};

/// Counts frames per circuit and tracks CCM continuity per MEP.
class TrafficCounter {
 public:
  /// Builds the circuit map; an unparseable prefix or a VLAN id used twice is an error
  /// naming the circuit.
  static Result<TrafficCounter> create(const Inventory& inventory);
  /// Keys circuits by a new inventory from now on; counts of circuits it keeps, the totals and
  /// the CCM continuity state carry on. On error (as create) nothing changes.
  Result<void> setInventory(const Inventory& inventory);

  /// Counts one frame; returns CFM continuity changes it (or the passage of time) caused.
  std::vector<CfmSample> onFrame(std::int64_t time_us, std::span<const std::uint8_t> captured,
                                 std::uint32_t wire_length);
  /// Moves time without a frame (live capture idle, end of file): returns LOC changes.
  std::vector<CfmSample> advance(std::int64_t now_us);
  /// Adds frames the kernel dropped before the capture could read them (live capture), to the
  /// totals and to the running window.
  void addDropped(std::uint64_t buffer, std::uint64_t interface);

  /// BPF filter expression matching the configured circuits and CFM ("" = everything).
  std::string bpfFilter() const;
  /// Per-circuit averages over the capture's span, as the engine's samples (source Capture).
  std::vector<ThroughputSample> throughputSamples() const;
  /// Closes the window running since the previous call (or the first frame) at `now_us` and
  /// starts the next: every frame counted belongs to exactly one window. Samples are empty
  /// when no time has passed. For periodic samples of a capture that stays open.
  CaptureWindow takeWindow(std::int64_t now_us);

  const std::vector<CircuitTraffic>& circuits() const { return traffic_; }
  const CaptureTotals& totals() const { return totals_; }
  const CcmTracker& ccm() const { return ccm_; }
  /// Capture span in seconds (last frame - first frame).
  double spanSeconds() const;

 private:
  struct Key {
    std::size_t index;
    std::optional<std::uint16_t> vlan;
    std::optional<IpPrefix> prefix;
  };
  void note(std::string problem);

  std::vector<Key> keys_;
  std::vector<CircuitTraffic> traffic_;
  std::vector<CircuitTraffic> interval_;  ///< counts since the last takeWindow()
  std::int64_t interval_start_us_ = -1;
  CaptureTotals interval_base_;  ///< totals when the running window began
  CaptureTotals totals_;
  CcmTracker ccm_;
};

/// Text table: capture summary, per-circuit table, problems and the MEP table.
std::string formatTable(const TrafficCounter& counter);
/// The same content as JSON.
std::string formatJson(const TrafficCounter& counter);

}  // namespace circuitd::capture
