// circuitd: parses the command line, loads and validates the configuration, then hands over to
// the runtime. main() only wires.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "circuitd_version.hpp"
#include "config/config.hpp"
#include "daemon/log/log.hpp"
#include "daemon/runtime/runtime.hpp"

int main(int argc, char** argv) {
  CLI::App app{"circuitd - carrier leased-line monitor: watches every circuit of a contract and "
               "decides, with evidence, whose side a fault is on."};
  std::string config_path = "/etc/circuitd/circuitd.toml";
  std::string log_level;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only,
               "Validate the configuration, print every error or a summary, and exit");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical or off (overrides [daemon] log_level)");
  app.set_version_flag("-V,--version", std::string("circuitd ") + CIRCUITD_VERSION);
  CLI11_PARSE(app, argc, argv);

  const bool journal = circuitd::log::stderrIsJournal();
  if (!log_level.empty() && !circuitd::log::setup(log_level, journal)) {
    std::cerr << "circuitd: unknown --log-level '" << log_level << "'\n";
    return 2;
  }
  auto loaded = circuitd::config::load(config_path);
  for (const auto& w : loaded.warnings) std::cerr << "warning: " << w.str() << "\n";
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << "error: " << e.str() << "\n";
    std::cerr << config_path << ": " << loaded.errors.size() << " error(s)\n";
    return 1;
  }
  if (check_only) {
    std::cout << config_path << ": OK: " << circuitd::config::summary(*loaded.config) << "\n";
    return 0;
  }
  if (log_level.empty() && !circuitd::log::setup(loaded.config->daemon.log_level, journal)) {
    std::cerr << "circuitd: unknown log_level '" << loaded.config->daemon.log_level << "'\n";
    return 1;
  }
  return circuitd::runtime::run(std::move(*loaded.config));
}
