#pragma once
// Where in its interval each target is probed. Spreads sends so that 10,000 targets are never
// probed in the same millisecond (chrony's SCH_AddTimeoutInClass idea: a phase per target plus a
// minimum separation between sends). Pure: times are monotonic nanoseconds passed in.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace circuitd::icmp {

/// Monotonic time in nanoseconds.
using Nanos = std::int64_t;

/// Per-target due times in a min-heap, phases from a low-discrepancy sequence, an adaptive send
/// quantum, and a token bucket that bounds every tick.
///
/// Burst bound: with S = rate * quantum (one quantum's share of the probes), no popDue ever
/// sends more than B = max(kMinBurst, ceil(kBurstFactor * S)), and any span of length W holds at
/// most B + kBurstFactor * rate * W sends, however late or frequent the calls. The transport
/// ticks at most once per quantum, so each tick carries at most B probes. Probes that the bound
/// holds back go late (counted) instead of leaving in a burst.
class SendScheduler {
 public:
  /// quantum: the transport's tick; 0 chooses it from the rate (see autoQuantum).
  explicit SendScheduler(Nanos quantum = 0);

  /// Schedules entry (slot, generation) every `interval`, first at now + phase.
  void add(std::uint32_t slot, std::uint32_t generation, Nanos interval, Nanos now);
  /// Stops counting an entry's rate; its heap entry is dropped lazily when it comes due.
  void remove(Nanos interval);

  /// Pops the entries due at or before now, within the bucket's allowance. For each, calls
  /// send(slot, generation) which returns false when the entry is gone (removed or finished);
  /// true reschedules it one interval later, keeping its phase. Returns how many were sent.
  template <typename SendFn>
  std::size_t popDue(Nanos now, SendFn&& send);

  /// Earliest due time, or -1 when nothing is scheduled.
  Nanos nextDue() const { return heap_.empty() ? -1 : heap_.front().due; }
  /// Earliest time a popDue can send again (now when tokens remain, else when one accrues).
  Nanos nextSendable(Nanos now) const;
  /// Probes per second of all scheduled entries.
  double rate() const { return rate_per_s_; }
  /// The tick in use: the configured one, or autoQuantum(rate()).
  Nanos quantum() const { return quantum_; }
  /// Most probes one popDue may send at the current rate and quantum (B above).
  std::size_t burstBound() const;
  /// Probes sent more than one quantum after their due time (a late tick or the burst bound).
  std::uint64_t late() const { return late_; }
  /// Largest lateness of any probe, ns.
  Nanos maxLateness() const { return max_lateness_; }
  /// Rounds skipped because a stall lasted longer than the target's interval.
  std::uint64_t skipped() const { return skipped_; }
  /// Scheduled heap entries (including removed ones not yet dropped).
  std::size_t size() const { return heap_.size(); }
  /// Reserves room so that steady state never allocates.
  void reserve(std::size_t n) { heap_.reserve(n); }

  /// The automatic quantum: kAutoProbesPerTick / rate, clamped to [kMinQuantum, kMaxQuantum].
  /// High rates tick every millisecond; low rates carry a few probes per tick, so the loop
  /// wakes (and batches its system calls) once per few probes rather than once per probe.
  static Nanos autoQuantum(double rate_per_s);

  /// Fraction in [0, 1) of the k-th point of the base-2 van der Corput sequence: any run of
  /// consecutive k covers [0, 1) with gaps at most twice the even spacing.
  static double vanDerCorput(std::uint32_t k);

  /// Smallest per-tick bound: a handful of targets falling due together go out together.
  static constexpr std::size_t kMinBurst = 4;
  /// Per-tick bound as a multiple of one quantum's share; also the backlog's drain rate.
  static constexpr double kBurstFactor = 2.0;
  /// Automatic quantum: probes per tick aimed at, and its limits.
  static constexpr double kAutoProbesPerTick = 8.0;
  static constexpr Nanos kMinQuantum = 1'000'000;
  static constexpr Nanos kMaxQuantum = 10'000'000;

 private:
  struct Entry {
    Nanos due;
    Nanos interval;
    std::uint32_t slot;
    std::uint32_t generation;
  };
  static bool later(const Entry& a, const Entry& b) { return a.due > b.due; }
  void refill(Nanos now);
  void rateChanged();

  Nanos configured_quantum_;
  Nanos quantum_;
  std::vector<Entry> heap_;
  std::uint32_t placed_ = 0;
  double rate_per_s_ = 0;
  double tokens_ = kMinBurst;
  Nanos refilled_at_ = -1;
  std::uint64_t late_ = 0;
  Nanos max_lateness_ = 0;
  std::uint64_t skipped_ = 0;
};

template <typename SendFn>
std::size_t SendScheduler::popDue(Nanos now, SendFn&& send) {
  refill(now);
  std::size_t sent = 0;
  while (!heap_.empty() && heap_.front().due <= now && tokens_ >= 1.0) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Entry& e = heap_.back();
    if (!send(e.slot, e.generation)) {
      heap_.pop_back();
      continue;
    }
    tokens_ -= 1.0;
    ++sent;
    const Nanos lateness = now - e.due;
    if (lateness > quantum_) ++late_;
    max_lateness_ = std::max(max_lateness_, lateness);
    e.due += e.interval;
    // After a stall longer than the interval, skip the missed rounds: the target is probed
    // once now and keeps its phase, instead of catching up round by round.
    if (e.due <= now - e.interval) {
      const Nanos missed = (now - e.due) / e.interval;
      skipped_ += static_cast<std::uint64_t>(missed);
      e.due += missed * e.interval;
    }
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  return sent;
}

}  // namespace circuitd::icmp
