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

/// Per-target due times in a min-heap, phases from a low-discrepancy sequence, and a token
/// bucket that caps how many probes leave per quantum.
class SendScheduler {
 public:
  /// quantum: the transport's tick. The bucket refills at rate * kHeadroom and holds at most
  /// what fell due since the previous tick (at least a quantum's share, at most
  /// kCatchUpWindow's), so a backlog after a stall drains over the following ticks.
  explicit SendScheduler(Nanos quantum = 1'000'000);

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
  /// Scheduled heap entries (including removed ones not yet dropped).
  std::size_t size() const { return heap_.size(); }
  /// Reserves room so that steady state never allocates.
  void reserve(std::size_t n) { heap_.reserve(n); }

  /// Fraction in [0, 1) of the k-th point of the base-2 van der Corput sequence: any run of
  /// consecutive k covers [0, 1) with gaps at most twice the even spacing.
  static double vanDerCorput(std::uint32_t k);

  /// Smallest bucket capacity: a handful of targets falling due together go out together.
  static constexpr std::size_t kMinBurst = 4;
  /// Lateness of a tick that is absorbed without delaying sends.
  static constexpr Nanos kCatchUpWindow = 10'000'000;
  /// Headroom of the bucket over the nominal rate.
  static constexpr double kHeadroom = 1.1;

 private:
  struct Entry {
    Nanos due;
    Nanos interval;
    std::uint32_t slot;
    std::uint32_t generation;
  };
  static bool later(const Entry& a, const Entry& b) { return a.due > b.due; }
  void refill(Nanos now);

  Nanos quantum_;
  std::vector<Entry> heap_;
  std::uint32_t placed_ = 0;
  double rate_per_s_ = 0;
  double tokens_ = kMinBurst;
  Nanos refilled_at_ = -1;
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
    e.due += e.interval;
    // After a long stall, skip the missed rounds instead of sending them all at once.
    if (e.due <= now - e.interval) e.due += ((now - e.due) / e.interval) * e.interval;
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  return sent;
}

}  // namespace circuitd::icmp
