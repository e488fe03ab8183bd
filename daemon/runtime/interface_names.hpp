#pragma once
// Interface names by (device, ifIndex), for the trap receiver: a linkDown/linkUp trap names its
// interface by ifIndex only, while circuits name theirs as configured. The SNMP probe fills it
// from what the poller resolved (names walks at start, after a reboot, when an index moved);
// the trap probe reads it. Shared like the vendor profiles; used on the loop thread only.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace circuitd::runtime {

/// The configured interface names of each polled device, by the ifIndex the agent gave them.
class InterfaceNames {
 public:
  /// ifIndex -> configured interface name, for one device.
  using ByIndex = std::map<std::int32_t, std::string>;

  /// Replaces what is known of `device` (an empty map forgets it).
  void set(const std::string& device, ByIndex names);
  /// Forgets `device` (removed, or re-added with other interfaces and not resolved yet).
  void remove(const std::string& device);
  /// The configured name of `device`'s interface `if_index`; nullopt when the poller has not
  /// resolved it (not a circuit's interface, or not polled yet).
  std::optional<std::string> find(const std::string& device, std::int32_t if_index) const;
  /// Number of devices with at least one resolved interface.
  std::size_t devices() const { return by_device_.size(); }

 private:
  std::map<std::string, ByIndex, std::less<>> by_device_;
};

}  // namespace circuitd::runtime
