#include "daemon/runtime/scheduler.hpp"

#include <algorithm>

namespace circuitd::runtime {

Scheduler::Scheduler(SchedulerSettings settings) : settings_(settings), rng_(settings.seed) {}

void Scheduler::add(const std::string& key, Duration interval, TimePoint now) {
  if (interval <= Duration::zero()) interval = Duration{1};
  remove(key);
  // Uniform first offset over the whole interval: a fleet added at once (start-up, reload)
  // spreads instead of firing together.
  std::uniform_int_distribution<Duration::rep> offset(0, interval.count() - 1);
  const TimePoint due = place(key, now + Duration{offset(rng_)});
  entries_[key] = Entry{interval, due};
}

bool Scheduler::remove(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  unplace(key, it->second.due);
  entries_.erase(it);
  return true;
}

bool Scheduler::contains(const std::string& key) const { return entries_.count(key) != 0; }

std::optional<TimePoint> Scheduler::dueTime(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.due;
}

std::optional<TimePoint> Scheduler::nextDue() const {
  if (slots_.empty()) return std::nullopt;
  return slots_.begin()->first;
}

std::vector<std::string> Scheduler::popDue(TimePoint now) {
  std::vector<std::pair<std::string, TimePoint>> due;
  while (!slots_.empty() && slots_.begin()->first <= now) {
    due.emplace_back(slots_.begin()->second, slots_.begin()->first);
    slots_.erase(slots_.begin());
  }
  std::vector<std::string> keys;
  keys.reserve(due.size());
  for (auto& [key, at] : due) {
    Entry& e = entries_.at(key);
    TimePoint next = at + e.interval + jitterFor(e.interval);
    // Behind schedule by more than a round: skip the missed rounds rather than bursting.
    if (next <= now) next = now + std::max(e.interval / 2, Duration{1}) + jitterFor(e.interval);
    e.due = place(key, next);
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<std::pair<std::string, Duration>> Scheduler::targets() const {
  std::vector<std::pair<std::string, Duration>> out;
  out.reserve(entries_.size());
  for (const auto& [k, e] : entries_) out.emplace_back(k, e.interval);
  std::sort(out.begin(), out.end());
  return out;
}

TimePoint Scheduler::place(const std::string& key, TimePoint at) {
  const Duration sep = settings_.min_separation;
  if (sep > Duration::zero()) {
    // Walk forward from the first run that could be too close, pushing the candidate past each
    // neighbour until a gap of at least `sep` opens on both sides.
    auto it = slots_.lower_bound(at - sep + Duration{1});
    while (it != slots_.end() && it->first < at + sep) {
      at = std::max(at, it->first + sep);
      ++it;
    }
  }
  slots_.emplace(at, key);
  return at;
}

void Scheduler::unplace(const std::string& key, TimePoint due) {
  auto [lo, hi] = slots_.equal_range(due);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == key) {
      slots_.erase(it);
      return;
    }
  }
}

Duration Scheduler::jitterFor(Duration interval) {
  const auto span = static_cast<Duration::rep>(static_cast<double>(interval.count()) *
                                               std::clamp(settings_.jitter, 0.0, 0.5));
  if (span <= 0) return Duration::zero();
  std::uniform_int_distribution<Duration::rep> d(-span, span);
  return Duration{d(rng_)};
}

}  // namespace circuitd::runtime
