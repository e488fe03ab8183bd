// circuitd: parses the command line, loads and validates the configuration, then hands over to
// the runtime. main() only wires.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "circuitd_version.hpp"
#include "config/config.hpp"
#include "daemon/log/log.hpp"
#include "daemon/runtime/runtime.hpp"

namespace {

/// --check-config: every warning and error on stderr, the summary on stdout.
int checkConfig(const std::string& path, const circuitd::config::LoadResult& loaded) {
  for (const auto& w : loaded.warnings) std::cerr << "warning: " << w.str() << "\n";
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << "error: " << e.str() << "\n";
    std::cerr << path << ": " << loaded.errors.size()
              << (loaded.errors.size() == 1 ? " error" : " errors") << "\n";
    return 1;
  }
  const auto& cfg = *loaded.config;
  std::cout << path << ": OK: " << circuitd::config::summary(cfg) << "\n";
  std::cout << "files:";
  for (const auto& f : cfg.files) std::cout << " " << f;
  std::cout << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "circuitd - carrier leased-line monitor: watches every circuit of a contract and "
      "decides, with evidence, whose side a fault is on."};
  std::string config_path = "/etc/circuitd/circuitd.toml";
  std::string log_level;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  app.add_flag(
      "--check-config", check_only,
      "Validate the configuration, print every error or a summary, and exit (0 valid, 1 not)");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical or off (overrides [daemon] log_level)");
  app.set_version_flag("-V,--version", std::string("circuitd ") + CIRCUITD_VERSION);
  CLI11_PARSE(app, argc, argv);

  const bool journal = circuitd::log::stderrIsJournal();
  if (!circuitd::log::setup(log_level.empty() ? "info" : log_level, journal)) {
    std::cerr << "circuitd: unknown --log-level '" << log_level
              << "' (trace, debug, info, warn, error, critical, off)\n";
    return 2;
  }
  auto loaded = circuitd::config::load(config_path);
  if (check_only) return checkConfig(config_path, loaded);

  auto log = circuitd::log::get("config");
  for (const auto& w : loaded.warnings) log->warn("{}", w.str());
  if (!loaded.config) {
    for (const auto& e : loaded.errors) log->error("{}", e.str());
    log->critical("{}: {} error(s), not starting", config_path, loaded.errors.size());
    return 1;
  }
  // The config's log_level applies unless --log-level overrides it.
  if (log_level.empty()) circuitd::log::setup(loaded.config->daemon.log_level, journal);
  log->info("loaded {} ({} file(s)): {}", config_path, loaded.config->files.size(),
            circuitd::config::summary(*loaded.config));
  for (const auto& f : loaded.config->files) log->debug("read {}", f);
  // Outside systemd (UMask=0077 in the unit) nothing else keeps the store and the state
  // directory from being readable by every user: files the daemon creates are 0600, its
  // directories 0700.
  ::umask(077);
  return circuitd::runtime::run(std::move(*loaded.config));
}
