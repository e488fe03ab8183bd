#pragma once
// Logging for adapters and executables (never the pure core): one named spdlog logger per
// component, a plain format under systemd (journald adds the time), a timestamped one on a tty.
#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace circuitd::log {

/// Configures every logger: level name ("trace".."critical", "off") and output format.
/// Returns false and leaves the level unchanged for an unknown level name.
bool setup(const std::string& level, bool under_systemd);
/// True when stderr is connected to the journal (JOURNAL_STREAM matches stderr).
bool stderrIsJournal();
/// The named logger for a component ("config", "snmp", "icmp", "engine", "store", ...).
std::shared_ptr<spdlog::logger> get(const std::string& component);

}  // namespace circuitd::log
