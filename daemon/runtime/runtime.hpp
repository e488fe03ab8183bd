#pragma once
// The composition root (Asio's http server example: main builds a server and calls run()).
// One io_context, one thread: the probes (probe.hpp, listed in probes.cpp), the engine tick,
// the store, the watchdog and the signal handlers all run as handlers on it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "daemon/runtime/status.hpp"

namespace circuitd::runtime {

/// Knobs that are not configuration: the soak bench and the tests use them.
struct RuntimeOptions {
  /// Virtual seconds per real second: intervals are divided and sample times advance this much
  /// faster (the soak bench runs a day in minutes). 1 = real time.
  double time_scale = 1.0;
  /// SIGUSR2 blocks the event loop for test_block_ms (proves the watchdog stops being pinged).
  bool test_hooks = false;
  /// How long the SIGUSR2 test hook blocks the loop.
  std::int64_t test_block_ms = 3000;
  /// Scheduler seed; nullopt = from std::random_device.
  std::optional<std::uint64_t> seed;
  /// Stop by itself after this much real time (soak bench); nullopt = until a signal.
  std::optional<std::chrono::milliseconds> run_for;
  /// Called on the loop every `sample_every` of real time (soak bench: RSS and fd counts).
  std::function<void()> sampler;
  /// Size of the capture's kernel buffer in octets (0 = libpcap's default); the tests make it
  /// tiny so that a flood overflows it.
  int capture_buffer_bytes = 0;
  /// Period of `sampler`.
  std::chrono::milliseconds sample_every{1000};
};

/// Counters since start, for the soak bench and the stop log line.
struct RuntimeStats {
  std::uint64_t observations = 0;   ///< samples and events fed to the engine
  std::uint64_t state_changes = 0;  ///< circuit state changes decided
  std::uint64_t transitions = 0;    ///< fault transitions written to the store
  std::uint64_t icmp_sent = 0;      ///< echo requests sent
  std::uint64_t snmp_rounds = 0;    ///< completed device poll rounds
};

/// The daemon: owns every component and the event loop.
class Runtime {
 public:
  /// Builds the components for a validated configuration; nothing runs until run().
  explicit Runtime(config::Config cfg, RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Opens the store, starts the probes, runs the loop until SIGTERM/SIGINT or stop(); returns
  /// the process exit code (0 after a graceful stop, 1 when start-up failed).
  int run();
  /// Requests a graceful stop from any thread.
  void stop();
  /// Current circuit state counts (loop thread, or after run() returned).
  StateCounts counts() const;
  /// Counters since start (loop thread, e.g. from RuntimeOptions::sampler).
  RuntimeStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Runs the daemon on a validated configuration; reads CIRCUITD_TEST_HOOKS,
/// CIRCUITD_TEST_BLOCK_MS and CIRCUITD_TEST_CAPTURE_BUFFER from the environment; returns the
/// process exit code.
int run(config::Config cfg);

}  // namespace circuitd::runtime
