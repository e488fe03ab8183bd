#pragma once
// libpcap adapter: a live interface (mirror / SPAN port) or a capture file feed the same
// TrafficCounter through the same loop. The BPF filter comes from the circuit config.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "domain/core/result.hpp"
#include "probes/capture/traffic_counter.hpp"

namespace circuitd::capture {

/// Called for each CFM continuity change.
using CfmSink = std::function<void(const CfmSample&)>;

/// A stop request a live capture waits on next to libpcap's descriptor: request() from any
/// thread wakes a capture at once, also on an idle link where a read would wait for the next
/// frame. A latch (an eventfd that stays readable): once requested it stays requested.
class CaptureStop {
 public:
  CaptureStop();
  ~CaptureStop();
  CaptureStop(const CaptureStop&) = delete;
  CaptureStop& operator=(const CaptureStop&) = delete;

  /// Requests the stop and wakes every waiter; any thread, any number of times.
  void request();
  /// True once request() was called.
  bool requested() const { return requested_.load(); }
  /// Waits up to `limit` for a request; true when requested.
  bool waitFor(std::chrono::milliseconds limit) const;
  /// Readable once requested; -1 when no eventfd could be made (waits then poll every 200 ms).
  int fd() const { return fd_; }

 private:
  std::atomic<bool> requested_{false};
  int fd_ = -1;
};

/// How to capture.
struct CaptureOptions {
  bool apply_filter = true;  ///< compile and set counter.bpfFilter()
  int snaplen = 256;         ///< live: octets kept per frame (headers are all we need)
  /// live: size of the kernel buffer frames wait in until read (pcap_set_buffer_size; 0 =
  /// libpcap's default, 2 MiB). On Linux it is the packet ring, which libpcap 1.10 rounds down
  /// to whole pages; less than a page would leave no ring, so it is raised to one page.
  int buffer_bytes = 0;
  double seconds = 0;                 ///< live: stop after this long (0 = until `stop` is set)
  const CaptureStop* stop = nullptr;  ///< live: requested to end the capture (wakes it at once)
  std::uint64_t max_frames = 0;       ///< live: stop after this many frames (0 = no limit)
  std::function<void()> on_ready;     ///< live: called once the handle is capturing
  /// Every `sample_seconds` of packet time (wall time when idle) the running window closes
  /// (TrafficCounter::takeWindow) while the handle stays open, so no frame falls between two
  /// windows and CCM continuity carries on: the window goes to `on_window` and its per-circuit
  /// rates to `on_throughput` (0 = no windows). A partial last window is not sent when the
  /// capture ends as asked (stop, seconds, max_frames, end of file); when a live capture fails,
  /// it is, so that everything counted was reported.
  double sample_seconds = 0;
  std::function<void(const ThroughputSample&)> on_throughput;
  /// Called at each window boundary; a live capture's window carries the drops pcap_stats
  /// reported since the previous boundary (CaptureWindow::dropped). It may give the counter a
  /// new inventory
  /// (TrafficCounter::setInventory): a changed BPF filter is set on the open handle then.
  std::function<void(const CaptureWindow&)> on_window;
};

/// Reads a capture file (pcap or pcapng, Ethernet link type) into `counter`. Damaged frames are
/// counted by the counter; a damaged file stops the read with an error naming the frame, and
/// everything counted before it stays in `counter`.
Result<void> readFile(const std::string& path, TrafficCounter& counter, const CfmSink& sink = {},
                      const CaptureOptions& options = {});

/// Captures live on `interface` until options.seconds pass or options.stop is requested. The
/// handle is non-blocking and waited on with poll() together with the stop's eventfd, so a
/// stop request ends the capture within one poll wake-up even when no frame arrives.
Result<void> captureLive(const std::string& interface, TrafficCounter& counter,
                         const CfmSink& sink = {}, const CaptureOptions& options = {});

/// Compiles a filter expression for Ethernet without a capture handle; the error names the
/// problem as libpcap reports it.
Result<void> checkFilter(const std::string& expression);

}  // namespace circuitd::capture
