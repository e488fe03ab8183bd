#include <CLI/CLI.hpp>

#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addContractCommands(CLI::App& app, GlobalOptions&) {
  addNotYetAvailable(app, "import-contract", "Import a contract's circuit list");
}

}  // namespace circuitctl
