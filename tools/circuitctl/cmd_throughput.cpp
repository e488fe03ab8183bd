#include <CLI/CLI.hpp>

#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addThroughputCommands(CLI::App& app, GlobalOptions&) {
  addNotYetAvailable(app, "test-throughput", "Run an active throughput test to a reflector");
  addNotYetAvailable(app, "pcap-stats", "Per-circuit traffic table from a capture file");
}

}  // namespace circuitctl
