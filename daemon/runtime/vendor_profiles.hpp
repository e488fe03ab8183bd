#pragma once
// Vendor profiles by name, for the SNMP poller and the trap receiver: each name is looked up
// once for the daemon's life, so a missing or broken profile is warned about once.
#include <spdlog/logger.h>

#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "probes/snmp/profile.hpp"

namespace circuitd::runtime {

/// Loads vendor profiles on first use and keeps them (a failed load is kept as null).
class VendorProfiles {
 public:
  /// Searches [daemon] profiles_dir, the profiles folder next to the configuration file, then
  /// the default profile directories.
  VendorProfiles(const config::Config& cfg, std::shared_ptr<spdlog::logger> log)
      : cfg_(cfg), log_(std::move(log)) {}

  /// The profile called `name`; null for "" or when it cannot be loaded (warned once).
  std::shared_ptr<const snmp::VendorProfile> get(const std::string& name);

 private:
  const config::Config& cfg_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, std::shared_ptr<const snmp::VendorProfile>> loaded_;
};

}  // namespace circuitd::runtime
