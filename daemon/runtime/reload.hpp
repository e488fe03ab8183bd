#pragma once
// SIGHUP reload, the pure half: what changed between the running configuration and the new one.
// The runtime applies the diff: it stops probing removed circuits, starts added ones, restarts
// changed ones and leaves the unchanged ones (and their engine state) alone.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace circuitd::runtime {

/// What a reload changes. Keys are circuit keys and device names, sorted.
struct ConfigDiff {
  std::vector<std::string> circuits_added;
  std::vector<std::string> circuits_removed;
  std::vector<std::string> circuits_changed;  ///< same key, different settings or device
  std::vector<std::string> circuits_unchanged;
  std::vector<std::string> devices_added;
  std::vector<std::string> devices_removed;
  std::vector<std::string> devices_changed;
  bool maintenance_changed = false;
  /// Settings that only take effect on restart (store path, listen addresses, ...), by key path.
  std::vector<std::string> restart_required;

  /// True when nothing that reload applies has changed.
  bool empty() const;
  /// One line: "+2 -1 ~1 circuits (7 unchanged), +0 -0 ~1 devices, maintenance unchanged".
  std::string summary() const;
};

/// Compares two inventories circuit by circuit and device by device. A circuit whose device
/// changed counts as changed, since its polling and interface indices change with it.
ConfigDiff diffConfig(const config::Config& before, const config::Config& after);

}  // namespace circuitd::runtime
