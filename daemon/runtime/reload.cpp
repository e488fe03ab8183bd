#include "daemon/runtime/reload.hpp"

#include <algorithm>
#include <map>
#include <sstream>

namespace circuitd::runtime {

bool ConfigDiff::empty() const {
  return circuits_added.empty() && circuits_removed.empty() && circuits_changed.empty() &&
         devices_added.empty() && devices_removed.empty() && devices_changed.empty() &&
         !maintenance_changed;
}

std::string ConfigDiff::summary() const {
  std::ostringstream os;
  os << "+" << circuits_added.size() << " -" << circuits_removed.size() << " ~"
     << circuits_changed.size() << " circuits (" << circuits_unchanged.size() << " unchanged), +"
     << devices_added.size() << " -" << devices_removed.size() << " ~" << devices_changed.size()
     << " devices, maintenance " << (maintenance_changed ? "changed" : "unchanged");
  return os.str();
}

namespace {

template <typename T, typename KeyFn>
std::map<std::string, const T*> byKey(const std::vector<T>& items, KeyFn key) {
  std::map<std::string, const T*> out;
  for (const auto& i : items) out.emplace(key(i), &i);
  return out;
}

}  // namespace

ConfigDiff diffConfig(const config::Config& before, const config::Config& after) {
  ConfigDiff d;
  const auto old_dev = byKey(before.inventory.devices, [](const Device& x) { return x.name; });
  const auto new_dev = byKey(after.inventory.devices, [](const Device& x) { return x.name; });
  for (const auto& [name, dev] : new_dev) {
    auto it = old_dev.find(name);
    if (it == old_dev.end())
      d.devices_added.push_back(name);
    else if (!(*it->second == *dev))
      d.devices_changed.push_back(name);
  }
  for (const auto& [name, dev] : old_dev)
    if (!new_dev.count(name)) d.devices_removed.push_back(name);

  const auto deviceChanged = [&](const std::string& name) {
    return std::binary_search(d.devices_changed.begin(), d.devices_changed.end(), name);
  };
  const auto old_c = byKey(before.inventory.circuits, [](const Circuit& x) { return x.key; });
  const auto new_c = byKey(after.inventory.circuits, [](const Circuit& x) { return x.key; });
  for (const auto& [key, c] : new_c) {
    auto it = old_c.find(key);
    if (it == old_c.end())
      d.circuits_added.push_back(key);
    else if (!(*it->second == *c) || (!c->device.empty() && deviceChanged(c->device)))
      d.circuits_changed.push_back(key);
    else
      d.circuits_unchanged.push_back(key);
  }
  for (const auto& [key, c] : old_c)
    if (!new_c.count(key)) d.circuits_removed.push_back(key);

  d.maintenance_changed = before.inventory.maintenance != after.inventory.maintenance;

  const auto& a = before.daemon;
  const auto& b = after.daemon;
  if (a.state_dir != b.state_dir) d.restart_required.push_back("daemon.state_dir");
  if (a.trap_listen != b.trap_listen) d.restart_required.push_back("daemon.trap_listen");
  if (a.trap_communities != b.trap_communities)
    d.restart_required.push_back("daemon.trap_communities");
  if (a.capture_interface != b.capture_interface)
    d.restart_required.push_back("daemon.capture_interface");
  if (a.rules_file != b.rules_file) d.restart_required.push_back("daemon.rules_file");
  if (a.profiles_dir != b.profiles_dir) d.restart_required.push_back("daemon.profiles_dir");
  if (a.monitor_target != b.monitor_target) d.restart_required.push_back("daemon.monitor_target");
  if (a.max_in_flight != b.max_in_flight) d.restart_required.push_back("daemon.max_in_flight");
  if (a.max_in_flight_per_device != b.max_in_flight_per_device)
    d.restart_required.push_back("daemon.max_in_flight_per_device");
  if (a.icmp_send_quantum != b.icmp_send_quantum)
    d.restart_required.push_back("daemon.icmp_send_quantum");
  if (before.store.backend != after.store.backend) d.restart_required.push_back("store.backend");
  if (before.store.path != after.store.path) d.restart_required.push_back("store.path");
  if (before.http.enabled != after.http.enabled) d.restart_required.push_back("http.enabled");
  if (before.http.listen != after.http.listen) d.restart_required.push_back("http.listen");
  if (before.http.client_timeout != after.http.client_timeout)
    d.restart_required.push_back("http.client_timeout");
  if (before.http.max_connections != after.http.max_connections)
    d.restart_required.push_back("http.max_connections");
  if (before.notify != after.notify) d.restart_required.push_back("notify");
  return d;
}

}  // namespace circuitd::runtime
