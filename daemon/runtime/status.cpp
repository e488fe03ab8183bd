#include "daemon/runtime/status.hpp"

#include <sstream>

namespace circuitd::runtime {

StateCounts countStates(const std::map<std::string, CircuitState>& states) {
  StateCounts c;
  for (const auto& [key, s] : states) {
    switch (s) {
      case CircuitState::Up:
        ++c.up;
        break;
      case CircuitState::Degraded:
        ++c.degraded;
        break;
      case CircuitState::Down:
        ++c.down;
        break;
      case CircuitState::Unknown:
        ++c.unknown;
        break;
      case CircuitState::Maintenance:
        ++c.maintenance;
        break;
    }
  }
  return c;
}

std::string statusLine(const StateCounts& c) {
  std::ostringstream os;
  os << c.total() << " circuits: " << c.up << " up, " << c.degraded << " degraded, " << c.down
     << " down, " << c.unknown << " unknown, " << c.maintenance << " maintenance";
  return os.str();
}

}  // namespace circuitd::runtime
