#include "probes/icmp/send_scheduler.hpp"

#include <algorithm>
#include <cmath>

namespace circuitd::icmp {

SendScheduler::SendScheduler(Nanos quantum)
    : configured_quantum_(std::max<Nanos>(quantum, 0)),
      quantum_(quantum > 0 ? quantum : autoQuantum(0)) {}

Nanos SendScheduler::autoQuantum(double rate_per_s) {
  if (rate_per_s <= 0) return kMaxQuantum;
  const double q = kAutoProbesPerTick / rate_per_s * 1e9;
  return std::clamp(static_cast<Nanos>(q), kMinQuantum, kMaxQuantum);
}

double SendScheduler::vanDerCorput(std::uint32_t k) {
  // Reversing the bits of k mirrors it around the binary point: 1 -> 0.5, 2 -> 0.25, 3 -> 0.75.
  k = ((k >> 1) & 0x55555555u) | ((k & 0x55555555u) << 1);
  k = ((k >> 2) & 0x33333333u) | ((k & 0x33333333u) << 2);
  k = ((k >> 4) & 0x0f0f0f0fu) | ((k & 0x0f0f0f0fu) << 4);
  k = ((k >> 8) & 0x00ff00ffu) | ((k & 0x00ff00ffu) << 8);
  k = (k >> 16) | (k << 16);
  return static_cast<double>(k) / 4294967296.0;
}

void SendScheduler::add(std::uint32_t slot, std::uint32_t generation, Nanos interval, Nanos now) {
  if (interval <= 0) interval = 1'000'000'000;
  const auto phase = static_cast<Nanos>(vanDerCorput(placed_++) * static_cast<double>(interval));
  heap_.push_back(Entry{now + phase, interval, slot, generation});
  std::push_heap(heap_.begin(), heap_.end(), later);
  rate_per_s_ += 1e9 / static_cast<double>(interval);
  rateChanged();
}

void SendScheduler::remove(Nanos interval) {
  if (interval <= 0) interval = 1'000'000'000;
  rate_per_s_ = std::max(0.0, rate_per_s_ - 1e9 / static_cast<double>(interval));
  if (heap_.empty()) rate_per_s_ = 0;
  rateChanged();
}

void SendScheduler::rateChanged() {
  quantum_ = configured_quantum_ > 0 ? configured_quantum_ : autoQuantum(rate_per_s_);
}

std::size_t SendScheduler::burstBound() const {
  const double share = rate_per_s_ * static_cast<double>(quantum_) / 1e9;
  return std::max(kMinBurst, static_cast<std::size_t>(std::ceil(kBurstFactor * share - 1e-9)));
}

void SendScheduler::refill(Nanos now) {
  if (refilled_at_ < 0) refilled_at_ = now;
  const Nanos elapsed = std::max<Nanos>(now - refilled_at_, 0);
  refilled_at_ = now;
  // Tokens accrue at kBurstFactor times the rate and the bucket holds at most one tick's bound:
  // a tick on time sends what fell due; a late tick sends at most the bound; a stall's backlog
  // leaves over the following ticks at no more than the bound each.
  const double per_ns = kBurstFactor * rate_per_s_ / 1e9;
  tokens_ =
      std::min(tokens_ + per_ns * static_cast<double>(elapsed), static_cast<double>(burstBound()));
}

Nanos SendScheduler::nextSendable(Nanos now) const {
  if (tokens_ >= 1.0 || rate_per_s_ <= 0) return now;
  const double need = (1.0 - tokens_) / (kBurstFactor * rate_per_s_) * 1e9;
  return now + static_cast<Nanos>(std::ceil(need));
}

}  // namespace circuitd::icmp
