#include <iostream>

#include <CLI/CLI.hpp>

#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addFaultCommands(CLI::App& app, GlobalOptions&) {
  addNotYetAvailable(app, "faults", "List faults");
  addNotYetAvailable(app, "report", "Render the hotline report of a fault");
  addNotYetAvailable(app, "sla", "Availability record per circuit and month");
}

int persistReplay(const std::string&, const ReplayOutput&) {
  std::cerr << "circuitctl replay --db: not available yet\n";
  return 2;
}

}  // namespace circuitctl
