#include "daemon/runtime/sd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>

#include "daemon/log/log.hpp"

namespace circuitd::runtime {

ServiceNotifier::ServiceNotifier() {
  const char* sock = std::getenv("NOTIFY_SOCKET");
  enabled_ = sock != nullptr && *sock != '\0';
  std::uint64_t usec = 0;
  // unset_environment = 0: keep the variables so a re-exec or a test harness sees them too.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_ = std::chrono::duration_cast<Duration>(std::chrono::microseconds{usec});
}

void ServiceNotifier::send(const std::string& message) const {
  if (!enabled_) return;
  const int rc = sd_notify(0, message.c_str());
  if (rc < 0) log::get("daemon")->debug("sd_notify failed: {}", rc);
}

void ServiceNotifier::ready(const std::string& status) const { send("READY=1\nSTATUS=" + status); }
void ServiceNotifier::status(const std::string& status) const { send("STATUS=" + status); }
void ServiceNotifier::watchdog() const { send("WATCHDOG=1"); }
void ServiceNotifier::reloading() const { send("RELOADING=1"); }
void ServiceNotifier::stopping(const std::string& status) const {
  send("STOPPING=1\nSTATUS=" + status);
}

}  // namespace circuitd::runtime
