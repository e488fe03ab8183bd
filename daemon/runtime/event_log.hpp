#pragma once
// The journal's line for each engine event: state changes with their evidence, party, clause
// and rule; incidents with their root cause; the monitor going blind and recovering.
#include <spdlog/logger.h>

#include "domain/core/decision.hpp"

namespace circuitd::runtime {

/// Logs one engine event (info, or warn when the monitor goes blind).
void logEvent(spdlog::logger& log, const EngineEvent& e);

}  // namespace circuitd::runtime
