#pragma once
// Circuit state counts for STATUS= and the logs. Pure.
#include <cstddef>
#include <map>
#include <string>

#include "domain/core/decision.hpp"

namespace circuitd::runtime {

/// How many circuits are in each state.
struct StateCounts {
  std::size_t up = 0;
  std::size_t degraded = 0;
  std::size_t down = 0;
  std::size_t unknown = 0;
  std::size_t maintenance = 0;
  /// Total circuits.
  std::size_t total() const { return up + degraded + down + unknown + maintenance; }
  /// Field-wise equality.
  bool operator==(const StateCounts&) const = default;
};

/// Counts a circuit-key -> state map.
StateCounts countStates(const std::map<std::string, CircuitState>& states);

/// "3 circuits: 2 up, 0 degraded, 1 down, 0 unknown, 0 maintenance".
std::string statusLine(const StateCounts& c);

}  // namespace circuitd::runtime
