#pragma once
// Per-target reachability statistics over a sliding window of probe results: what the daemon and
// `circuitctl ping` report (sent, received, loss, min/avg/max RTT, jitter). Pure: the window moves
// with the sample timestamps (or an explicit advance()), never with a clock.
#include <cstddef>
#include <deque>
#include <optional>

#include "domain/core/observation.hpp"
#include "domain/core/time.hpp"

namespace circuitd {

/// Statistics of the samples currently inside a ReachWindow.
struct ReachStats {
  std::size_t sent = 0;                 ///< probes in the window
  std::size_t received = 0;             ///< of which answered
  double loss_ratio = 0;                ///< (sent - received) / sent, 0 when sent == 0
  std::optional<double> min_ms;         ///< smallest RTT in the window
  std::optional<double> avg_ms;         ///< mean RTT of the answered probes
  std::optional<double> max_ms;         ///< largest RTT in the window
  std::optional<double> jitter_ms;      ///< RFC 3550 interarrival-jitter estimator over the window
  std::size_t consecutive_lost = 0;     ///< unanswered probes since the last answered one
  std::optional<TimePoint> last_reply;  ///< send time of the newest answered probe
  /// A target is reachable while at least one probe inside the window was answered.
  bool reachable() const { return received > 0; }
};

/// Sliding window of reachability samples for one target, ordered by send time.
class ReachWindow {
 public:
  /// span: how far back the window reaches from its newest sample; max_samples: 0 = no cap.
  explicit ReachWindow(Duration span, std::size_t max_samples = 0);

  /// Adds one probe result. Results may arrive out of send order (a timeout is reported after a
  /// later probe's reply); they are kept ordered by ReachSample::time.
  void add(const ReachSample& s);
  /// Moves the window's end to `now` when no sample arrives (probing stopped, target silent).
  void advance(TimePoint now);
  /// Statistics of the samples inside the window.
  ReachStats stats() const;
  /// Number of samples inside the window.
  std::size_t size() const { return entries_.size(); }
  /// The configured span.
  Duration span() const { return span_; }

 private:
  struct Entry {
    TimePoint time;
    double rtt_ms;  // negative: unanswered
  };
  void expire();

  Duration span_;
  std::size_t max_samples_;
  TimePoint end_{};
  std::deque<Entry> entries_;
};

/// RFC 3550 section 6.4.1 jitter over a sequence of RTTs in send order: J += (|D| - J) / 16,
/// where D is the difference between consecutive RTTs (the transit-time difference of two
/// echoes). Seeded with the first |D| rather than 0 so that short windows are not biased low.
/// Returns nothing with fewer than two RTTs.
std::optional<double> rfc3550Jitter(const double* rtts_ms, std::size_t n);

}  // namespace circuitd
