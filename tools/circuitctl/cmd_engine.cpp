#include <CLI/CLI.hpp>

#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addEngineCommands(CLI::App& app, GlobalOptions&) {
  addNotYetAvailable(app, "replay", "Run a scenario through the engine");
}

}  // namespace circuitctl
