#pragma once
// libpcap adapter: a live interface (mirror / SPAN port) or a capture file feed the same
// TrafficCounter through the same loop. The BPF filter comes from the circuit config.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "daemon/core/result.hpp"
#include "probes/capture/traffic_counter.hpp"

namespace circuitd::capture {

/// Called for each CFM continuity change.
using CfmSink = std::function<void(const CfmSample&)>;

/// How to capture.
struct CaptureOptions {
  bool apply_filter = true;   ///< compile and set counter.bpfFilter()
  int snaplen = 256;          ///< live: octets kept per frame (headers are all we need)
  double seconds = 0;         ///< live: stop after this long (0 = until `stop` is set)
  const std::atomic<bool>* stop = nullptr;  ///< live: set to end the capture
  std::uint64_t max_frames = 0;  ///< live: stop after this many frames (0 = no limit)
  std::function<void()> on_ready;  ///< live: called once the handle is capturing
  /// Every `sample_seconds` of packet time (wall time when idle), per-circuit rates of the
  /// interval go to `on_throughput` (0 = no periodic samples). A partial last interval is not sent.
  double sample_seconds = 0;
  std::function<void(const ThroughputSample&)> on_throughput;
};

/// Reads a capture file (pcap or pcapng, Ethernet link type) into `counter`. Damaged frames are
/// counted by the counter; a damaged file stops the read with an error naming the frame, and
/// everything counted before it stays in `counter`.
Result<void> readFile(const std::string& path, TrafficCounter& counter, const CfmSink& sink = {},
                      const CaptureOptions& options = {});

/// Captures live on `interface` until options.seconds pass or options.stop is set.
Result<void> captureLive(const std::string& interface, TrafficCounter& counter,
                         const CfmSink& sink = {}, const CaptureOptions& options = {});

/// Compiles a filter expression for Ethernet without a capture handle; the error names the
/// problem as libpcap reports it.
Result<void> checkFilter(const std::string& expression);

}  // namespace circuitd::capture
