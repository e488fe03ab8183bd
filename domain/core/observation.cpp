#include "domain/core/observation.hpp"

namespace circuitd {

TimePoint observationTime(const Observation& o) {
  return std::visit([](const auto& x) { return x.time; }, o);
}

}  // namespace circuitd
