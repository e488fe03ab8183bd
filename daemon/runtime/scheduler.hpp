#pragma once
// Per-target scheduling that spreads the load (chrony's SCH_AddTimeoutInClass, Envoy's
// intervalWithJitter): each target runs on its own interval, its first run is placed at a random
// offset inside that interval, each round gets a little jitter, and no two runs fall closer than
// a minimum separation, so that thousands of targets are not polled in the same millisecond.
// Pure: time comes in as an argument; the SNMP probe (snmp_probe.cpp) drives it from a timer.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/core/time.hpp"

namespace circuitd::runtime {

/// How the scheduler spreads runs.
struct SchedulerSettings {
  Duration min_separation{2};  ///< no two runs closer than this (0 = no constraint)
  double jitter = 0.1;         ///< each round moves by up to +/- this fraction of the interval
  std::uint64_t seed = 1;      ///< random source seed (tests pin it; the daemon uses entropy)
};

/// Interval scheduler over string keys ("icmp:127.0.0.1", "snmp:atn-01", ...).
class Scheduler {
 public:
  /// A scheduler with no targets.
  explicit Scheduler(SchedulerSettings settings = {});

  /// Adds a target (or replaces its interval); its first run is spread over [now, now+interval).
  void add(const std::string& key, Duration interval, TimePoint now);
  /// Removes a target; false when it was not scheduled.
  bool remove(const std::string& key);
  /// True when the key is scheduled.
  bool contains(const std::string& key) const;
  /// Number of scheduled targets.
  std::size_t size() const { return entries_.size(); }
  /// When the key runs next, if scheduled.
  std::optional<TimePoint> dueTime(const std::string& key) const;
  /// The earliest due time of any target; nullopt when empty.
  std::optional<TimePoint> nextDue() const;
  /// Keys due at or before now, earliest first. Each is rescheduled one interval (with jitter)
  /// after its due time; a target that fell behind (a stalled loop) resumes from now instead of
  /// firing a burst of catch-up runs.
  std::vector<std::string> popDue(TimePoint now);
  /// Every scheduled key with its interval.
  std::vector<std::pair<std::string, Duration>> targets() const;

 private:
  struct Entry {
    Duration interval;
    TimePoint due;
  };
  // Places the key at the first instant >= at that keeps min_separation from every other run.
  TimePoint place(const std::string& key, TimePoint at);
  void unplace(const std::string& key, TimePoint due);
  Duration jitterFor(Duration interval);

  SchedulerSettings settings_;
  std::mt19937_64 rng_;
  std::unordered_map<std::string, Entry> entries_;
  std::multimap<TimePoint, std::string> slots_;  // due time -> key
};

}  // namespace circuitd::runtime
