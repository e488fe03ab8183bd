#pragma once
// The capture probe: passive capture on [daemon] capture_interface. libpcap's capture loop
// blocks, so it runs on a thread of its own and posts its samples to the loop at each window
// boundary, keeping one handle open; an applied inventory is handed over under a mutex and
// taken at the next boundary. stop() wakes the capture at once, so the thread is always joined.
#include <memory>

#include "daemon/runtime/probe.hpp"

namespace circuitd::runtime {

/// Passive capture reports per-circuit throughput once per window of this many seconds.
inline constexpr double kCaptureWindowSeconds = 10.0;

/// Builds the capture probe; its thread starts with the first apply().
std::unique_ptr<Probe> makeCaptureProbe(const ProbeContext& ctx);

}  // namespace circuitd::runtime
