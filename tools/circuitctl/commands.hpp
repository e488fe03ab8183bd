#pragma once
// circuitctl's subcommands. Each group lives in its own cmd_*.cpp and registers itself on the
// CLI11 app; a callback ends with `throw CLI::RuntimeError(code)` for a non-zero exit.
#include <string>

namespace CLI {
class App;
}

namespace circuitctl {

/// Options shared by every subcommand.
struct GlobalOptions {
  std::string db;      ///< --db FILE: read/write a store file without a running daemon
  std::string config;  ///< --config FILE
};

/// Registers a subcommand that a later release fills: it prints "not available yet", exits 2.
void addNotYetAvailable(CLI::App& app, const std::string& name, const std::string& description);

void addContractCommands(CLI::App& app, GlobalOptions& g);    ///< import-contract
void addSnmpCommands(CLI::App& app, GlobalOptions& g);        ///< poll
void addProbeCommands(CLI::App& app, GlobalOptions& g);       ///< ping
void addThroughputCommands(CLI::App& app, GlobalOptions& g);  ///< test-throughput, pcap-stats
void addEngineCommands(CLI::App& app, GlobalOptions& g);      ///< replay
void addFaultCommands(CLI::App& app, GlobalOptions& g);       ///< faults, report, ack, sla

struct ReplayOutput;  // defined by the engine's replay (domain/engine)

/// Writes what a replay decided into the store file `db` (defined in cmd_faults.cpp, used by
/// `circuitctl replay SCENARIO --db FILE`). Returns the process exit code.
int persistReplay(const std::string& db, const ReplayOutput& out);

}  // namespace circuitctl
