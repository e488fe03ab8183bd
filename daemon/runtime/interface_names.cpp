#include "daemon/runtime/interface_names.hpp"

#include <utility>

namespace circuitd::runtime {

void InterfaceNames::set(const std::string& device, ByIndex names) {
  if (names.empty()) {
    remove(device);
    return;
  }
  by_device_[device] = std::move(names);
}

void InterfaceNames::remove(const std::string& device) { by_device_.erase(device); }

std::optional<std::string> InterfaceNames::find(const std::string& device,
                                                std::int32_t if_index) const {
  auto d = by_device_.find(device);
  if (d == by_device_.end()) return std::nullopt;
  auto i = d->second.find(if_index);
  if (i == d->second.end()) return std::nullopt;
  return i->second;
}

}  // namespace circuitd::runtime
