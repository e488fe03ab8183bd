#pragma once
// The composition root: builds the probes, the engine, the store and the notifier on one Asio
// io_context and runs until SIGTERM/SIGINT.
#include "config/config.hpp"

namespace circuitd::runtime {

/// Runs the daemon on a validated configuration; returns the process exit code.
int run(config::Config cfg);

}  // namespace circuitd::runtime
