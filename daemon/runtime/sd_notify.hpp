#pragma once
// systemd service notifications (sd_notify(3)): READY=1, STATUS=, WATCHDOG=1, RELOADING=1,
// STOPPING=1. Without NOTIFY_SOCKET (run by hand) every call is a no-op.
#include <optional>
#include <string>

#include "domain/core/time.hpp"

namespace circuitd::runtime {

/// Thin wrapper over libsystemd's sd_notify that remembers the watchdog interval.
class ServiceNotifier {
 public:
  /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment.
  ServiceNotifier();
  /// True when a notification socket is configured.
  bool enabled() const { return enabled_; }
  /// The watchdog timeout systemd enforces, if the watchdog is on for this process.
  std::optional<Duration> watchdogTimeout() const { return watchdog_; }
  /// READY=1 with a status line.
  void ready(const std::string& status) const;
  /// STATUS=<line>.
  void status(const std::string& status) const;
  /// WATCHDOG=1: call only from the event loop, so a stuck loop stops pinging.
  void watchdog() const;
  /// RELOADING=1 (a READY=1 must follow).
  void reloading() const;
  /// STOPPING=1 with a status line.
  void stopping(const std::string& status) const;

 private:
  void send(const std::string& message) const;
  bool enabled_ = false;
  std::optional<Duration> watchdog_;
};

}  // namespace circuitd::runtime
