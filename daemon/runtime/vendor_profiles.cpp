#include "daemon/runtime/vendor_profiles.hpp"

#include <filesystem>
#include <vector>

#include "config/profile_file.hpp"

namespace circuitd::runtime {

std::shared_ptr<const snmp::VendorProfile> VendorProfiles::get(const std::string& name) {
  if (name.empty()) return nullptr;
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
  std::vector<std::string> dirs;
  if (!cfg_.daemon.profiles_dir.empty()) dirs.push_back(cfg_.daemon.profiles_dir);
  dirs.push_back((std::filesystem::path(cfg_.path).parent_path() / "profiles").string());
  for (auto& d : config::defaultProfileDirs()) dirs.push_back(std::move(d));
  std::shared_ptr<const snmp::VendorProfile> p;
  if (auto r = config::loadProfile(name, dirs); r)
    p = std::make_shared<const snmp::VendorProfile>(std::move(*r));
  else
    log_->warn("vendor profile '{}': {}; polling with standard MIBs only", name, r.error().str());
  loaded_.emplace(name, p);
  return p;
}

}  // namespace circuitd::runtime
