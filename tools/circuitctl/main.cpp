// circuitctl: the operator's command line. main() only registers the subcommand groups.
#include <CLI/CLI.hpp>
#include <iostream>

#include "circuitd_version.hpp"
#include "tools/circuitctl/commands.hpp"

namespace circuitctl {

void addNotYetAvailable(CLI::App& app, const std::string& name, const std::string& description) {
  auto* sub = app.add_subcommand(name, description + " (not available yet)");
  sub->allow_extras();
  sub->callback([name] {
    std::cerr << "circuitctl " << name << ": not available yet\n";
    throw CLI::RuntimeError(2);
  });
}

}  // namespace circuitctl

int main(int argc, char** argv) {
  CLI::App app{
      "circuitctl - operate circuitd: import contracts, poll and probe circuits, replay "
      "scenarios, read faults, hotline reports and the SLA record."};
  circuitctl::GlobalOptions g;
  app.add_option("--db", g.db, "Store file to read or write without a running daemon");
  app.add_option("-c,--config", g.config, "circuitd configuration file");
  app.set_version_flag("-V,--version", std::string("circuitctl ") + CIRCUITD_VERSION);
  app.require_subcommand(1);
  circuitctl::addContractCommands(app, g);
  circuitctl::addSnmpCommands(app, g);
  circuitctl::addProbeCommands(app, g);
  circuitctl::addThroughputCommands(app, g);
  circuitctl::addEngineCommands(app, g);
  circuitctl::addFaultCommands(app, g);
  circuitctl::addNotYetAvailable(app, "status",
                                 "Show the running daemon's circuit states via its API");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
