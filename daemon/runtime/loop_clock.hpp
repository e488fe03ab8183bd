#pragma once
// The daemon's clock for sample timestamps. At time_scale 1 this is the system clock; above 1,
// virtual time starts at the real wall clock and runs time_scale times faster, so engine timers
// and hysteresis see a compressed day (the soak bench) while probes wait real time.
#include <chrono>

#include "daemon/runtime/system_clock.hpp"
#include "domain/core/time.hpp"

namespace circuitd::runtime {

/// Loop time: the system clock, or a compressed one for the soak bench.
class LoopClock final : public Clock {
 public:
  /// Virtual seconds per real second; 1 = the system clock.
  explicit LoopClock(double scale)
      : scale_(scale), wall0_(SystemClock{}.now()), mono0_(std::chrono::steady_clock::now()) {}

  /// The current loop time.
  TimePoint now() const override {
    if (scale_ == 1.0) return SystemClock{}.now();
    const auto real = std::chrono::steady_clock::now() - mono0_;
    return wall0_ + std::chrono::duration_cast<Duration>(real * scale_);
  }
  /// Real time to wait for `virtual_span` of loop time.
  std::chrono::steady_clock::duration realFor(Duration virtual_span) const {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(virtual_span / scale_);
  }

 private:
  double scale_;
  TimePoint wall0_;
  std::chrono::steady_clock::time_point mono0_;
};

}  // namespace circuitd::runtime
