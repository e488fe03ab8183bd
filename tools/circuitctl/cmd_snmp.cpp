#include <CLI/CLI.hpp>

#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addSnmpCommands(CLI::App& app, GlobalOptions&) {
  addNotYetAvailable(app, "poll", "Poll one device once by SNMP");
}

}  // namespace circuitctl
