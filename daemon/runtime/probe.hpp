#pragma once
// The one shape every probe has in the runtime (chrony's refclock driver {init, poll, fini},
// Envoy's health checker): the runtime starts each probe, hands it the inventory at start and
// after every reload, asks it for its share of the HTTP snapshot and the counters, and stops it.
// A probe diffs its own targets against the inventory it last applied; the runtime knows no
// probe concretely. Everything is called on the loop thread.
#include <spdlog/logger.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string_view>

#include "config/config.hpp"
#include "daemon/http/router.hpp"
#include "daemon/runtime/loop_clock.hpp"
#include "daemon/runtime/runtime.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"

namespace circuitd::runtime {

/// Where a probe's observations go: the engine, on the loop thread.
using ObservationSink = std::function<void(const Observation&)>;

/// What a probe is given: the loop, time, the engine's intake and the running configuration,
/// never the runtime itself.
struct ProbeContext {
  boost::asio::io_context& io;  ///< the loop every probe handler runs on
  const LoopClock& clock;       ///< stamps samples; realFor() turns loop time into waits
  ObservationSink observe;      ///< hands one observation to the engine
  /// The running configuration. [daemon] is fixed for the daemon's life (a reload that changes
  /// it takes effect at the next restart); the inventory comes through Probe::apply().
  const config::Config& cfg;
  std::shared_ptr<spdlog::logger> log;  ///< the daemon's logger
  const RuntimeOptions& options;        ///< knobs that are not configuration
};

/// One kind of probe (ICMP, SNMP polling, traps, passive capture) as the runtime drives it.
class Probe {
 public:
  /// Closes the probe's sockets and joins its threads (after the loop returned).
  virtual ~Probe() = default;
  /// The kind's name, as the registry knows it ("icmp", "snmp", ...).
  virtual std::string_view kind() const = 0;
  /// Opens what the probe needs before the first apply(); a failure is logged and leaves the
  /// probe idle, it never stops the daemon.
  virtual void start() = 0;
  /// Takes the inventory (at start and after each reload): adds, removes and re-adds the
  /// probe's own targets so that they match it; unchanged targets keep their schedule.
  virtual void apply(const Inventory& inventory) = 0;
  /// Stops taking new work (graceful stop); sockets stay open until the destructor.
  virtual void stop() = 0;
  /// Adds what the probe reports to an HTTP snapshot (/metrics).
  virtual void snapshot(http::Snapshot& /*s*/) const {}
  /// Adds the probe's counters since start.
  virtual void stats(RuntimeStats& /*s*/) const {}
};

}  // namespace circuitd::runtime
