#pragma once
// Thin Asio UDP transport for TWAMP-Light: a paced Session-Sender and a Session-Reflector.
// Asio stays in the .cpp (pimpl) so that users of this header do not pay for it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "domain/core/result.hpp"
#include "probes/throughput/test_plan.hpp"

namespace circuitd::throughput {

/// Runs one paced test to a reflector and blocks until it and the drain time are over.
/// The plan is checked against `limits` first; a refused plan sends nothing.
Result<TestReport> runTest(const TestPlan& plan, const TestLimits& limits);

/// TWAMP-Light Session-Reflector with its own rate and duration guard.
class Reflector {
 public:
  /// Reflector settings.
  struct Options {
    std::string host = "0.0.0.0";      ///< listen address (IPv4 or IPv6 literal)
    std::uint16_t port = 862;          ///< 0 picks a free port
    double max_rate_bps = 1e9;         ///< per-session cap at the IP layer; excess is dropped
    double max_session_seconds = 120;  ///< a session reflecting longer than this is cut off
    double idle_seconds = 5;           ///< a session with no packet for this long ends
    std::size_t max_sessions = 64;     ///< packets from further senders are dropped
  };
  /// Reflector counters (totals since start).
  struct Counters {
    std::uint64_t received = 0;
    std::uint64_t reflected = 0;
    std::uint64_t malformed = 0;         ///< too short or corrupt error estimate
    std::uint64_t dropped_rate = 0;      ///< over max_rate_bps
    std::uint64_t dropped_duration = 0;  ///< session older than max_session_seconds
    std::uint64_t dropped_sessions = 0;  ///< over max_sessions
    std::uint64_t sessions = 0;          ///< sessions started
  };

  /// Binds the socket; fails with the reason (address in use, bad address, ...).
  static Result<std::unique_ptr<Reflector>> open(const Options& options);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  /// The bound port (useful with port 0).
  std::uint16_t port() const;
  /// Serves until stop() is called (from any thread or a signal handler set up by the caller).
  void run();
  /// Makes run() return.
  void stop();
  /// A snapshot of the counters (safe to call from another thread).
  Counters counters() const;

 private:
  struct Impl;
  explicit Reflector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace circuitd::throughput
