#include "daemon/runtime/runtime.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "daemon/log/log.hpp"

namespace circuitd::runtime {

int run(config::Config cfg) {
  auto log = log::get("daemon");
  log->info("configuration {}: {}", cfg.path, config::summary(cfg));
  for (const auto& c : cfg.inventory.circuits) {
    log->info("watching {} ({} / {}) on {} {}: carrier target {}, customer target {}", c.key,
              c.site, c.service, c.device.empty() ? "-" : c.device,
              c.uni_interface.empty() ? "-" : c.uni_interface,
              c.carrier_target.empty() ? "-" : c.carrier_target,
              c.customer_target.empty() ? "-" : c.customer_target);
  }
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    log->info("signal {} received, stopping", sig);
    io.stop();
  });
  io.run();
  return 0;
}

}  // namespace circuitd::runtime
