#include "probes/icmp/send_scheduler.hpp"

#include <algorithm>
#include <cmath>

namespace circuitd::icmp {

SendScheduler::SendScheduler(Nanos quantum) : quantum_(quantum > 0 ? quantum : 1'000'000) {}

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
}

void SendScheduler::remove(Nanos interval) {
  if (interval <= 0) interval = 1'000'000'000;
  rate_per_s_ = std::max(0.0, rate_per_s_ - 1e9 / static_cast<double>(interval));
  if (heap_.empty()) rate_per_s_ = 0;
}

void SendScheduler::refill(Nanos now) {
  if (refilled_at_ < 0) refilled_at_ = now;
  const Nanos elapsed = std::max<Nanos>(now - refilled_at_, 0);
  refilled_at_ = now;
  const double per_ns = rate_per_s_ * kHeadroom / 1e9;
  // The bucket never holds more than what fell due while this tick was pending (at least one
  // quantum's share): on time, sends follow the phases; a tick delayed by scheduling sends
  // what fell due meanwhile, up to kCatchUpWindow's worth; a longer stall's backlog leaves
  // over the following ticks at kHeadroom times the rate instead of as one burst.
  const double window = static_cast<double>(std::max(quantum_, std::min(elapsed, kCatchUpWindow)));
  const double cap = std::max(static_cast<double>(kMinBurst), std::ceil(per_ns * window));
  tokens_ = std::min(tokens_ + per_ns * static_cast<double>(elapsed), cap);
}

Nanos SendScheduler::nextSendable(Nanos now) const {
  if (tokens_ >= 1.0 || rate_per_s_ <= 0) return now;
  const double need = (1.0 - tokens_) / (rate_per_s_ * kHeadroom) * 1e9;
  return now + static_cast<Nanos>(std::ceil(need));
}

}  // namespace circuitd::icmp
