#include <CLI/CLI.hpp>

#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addProbeCommands(CLI::App& app, GlobalOptions&) {
  addNotYetAvailable(app, "ping", "Probe targets by ICMP echo");
}

}  // namespace circuitctl
