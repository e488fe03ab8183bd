#pragma once
// The real clock. The domain never reads it: the daemon, circuitctl and the probes' transports
// are handed it, as a Clock&, by whoever composes them.
#include <chrono>

#include "domain/core/time.hpp"

namespace circuitd {

/// Wall-clock time from the system, for adapters and the daemon.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

}  // namespace circuitd
