#include <CLI/CLI.hpp>

#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addFaultCommands(CLI::App& app, GlobalOptions&) {
  addNotYetAvailable(app, "faults", "List faults");
}

}  // namespace circuitctl
