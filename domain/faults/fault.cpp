#include "domain/faults/fault.hpp"

#include <algorithm>

namespace circuitd::faults {

std::string_view toString(FaultState s) {
  switch (s) {
    case FaultState::Open:
      return "open";
    case FaultState::Acknowledged:
      return "acknowledged";
    case FaultState::Reported:
      return "reported";
    case FaultState::Resolved:
      return "resolved";
    case FaultState::Closed:
      return "closed";
  }
  return "open";
}

std::optional<FaultState> parseFaultState(std::string_view s) {
  for (auto st : {FaultState::Open, FaultState::Acknowledged, FaultState::Reported,
                  FaultState::Resolved, FaultState::Closed})
    if (toString(st) == s) return st;
  return std::nullopt;
}

bool isActive(FaultState s) {
  return s == FaultState::Open || s == FaultState::Acknowledged || s == FaultState::Reported;
}

namespace {
template <typename T, typename Key>
void upsert(std::vector<T>& into, const T& v, Key key) {
  auto it = std::find_if(into.begin(), into.end(), [&](const T& x) { return key(x) == key(v); });
  if (it == into.end())
    into.push_back(v);
  else
    *it = v;
}
}  // namespace

void Changes::merge(const Changes& o) {
  for (const auto& f : o.faults) upsert(faults, f, [](const Fault& x) { return x.id; });
  transitions.insert(transitions.end(), o.transitions.begin(), o.transitions.end());
  notes.insert(notes.end(), o.notes.begin(), o.notes.end());
  acks.insert(acks.end(), o.acks.begin(), o.acks.end());
  for (const auto& i : o.incidents) upsert(incidents, i, [](const Incident& x) { return x.id; });
  for (const auto& i : o.intervals)
    upsert(intervals, i,
           [](const OutageInterval& x) { return std::make_pair(x.circuit, toUnixMs(x.start)); });
}

}  // namespace circuitd::faults
