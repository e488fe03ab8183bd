#pragma once
// Time is an input (Zeek's TimerMgr, Envoy's TimeSource): the domain never reads a clock; every
// sample carries its timestamp and tests advance a FakeClock instead of sleeping.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace circuitd {

using Duration = std::chrono::milliseconds;
/// Wall-clock instant with millisecond resolution (UTC).
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

/// Milliseconds since the Unix epoch, for storage and JSON.
inline std::int64_t toUnixMs(TimePoint t) { return t.time_since_epoch().count(); }
/// Inverse of toUnixMs.
inline TimePoint fromUnixMs(std::int64_t ms) { return TimePoint{Duration{ms}}; }

/// ISO 8601 UTC, e.g. "2024-07-01T08:30:00.250Z" (milliseconds only when non-zero).
std::string formatIso(TimePoint t);
/// Parses "YYYY-MM-DDTHH:MM[:SS[.mmm]](Z|+HH:MM)" or "YYYY-MM-DD HH:MM[:SS]" (UTC assumed).
std::optional<TimePoint> parseIso(const std::string& s);

/// A source of "now", injected into adapters; the pure core only takes TimePoints. The real
/// clock (SystemClock) lives with the daemon that injects it: daemon/runtime/system_clock.hpp.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Current wall-clock time.
  virtual TimePoint now() const = 0;
};

/// A clock that only moves when told, for tests and replay.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  /// Moves the clock forward by d.
  void advance(Duration d) { now_ += d; }
  /// Sets the clock to t.
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

}  // namespace circuitd
