#include "config/config.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

namespace circuitd::config {

// Minimal loader: the full validator (unknown keys, types, includes, references) replaces it.
LoadResult load(const std::string& path) {
  LoadResult r;
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    r.errors.push_back({fmt::format("{}:{}:{}", path, b.line, b.column), std::string(e.description())});
    return r;
  }
  Config cfg;
  cfg.path = path;
  cfg.files.push_back(path);
  if (auto devs = tbl["device"].as_array()) {
    for (auto& n : *devs) {
      if (auto t = n.as_table()) {
        Device d;
        d.name = (*t)["name"].value_or(std::string{});
        d.address = (*t)["address"].value_or(std::string{});
        cfg.inventory.devices.push_back(std::move(d));
      }
    }
  }
  if (auto circs = tbl["circuit"].as_array()) {
    for (auto& n : *circs) {
      if (auto t = n.as_table()) {
        Circuit c;
        c.link_id = (*t)["link_id"].value_or(std::string{});
        c.key = c.link_id;
        c.device = (*t)["device"].value_or(std::string{});
        cfg.inventory.circuits.push_back(std::move(c));
      }
    }
  }
  r.config = std::move(cfg);
  return r;
}

std::string summary(const Config& cfg) {
  std::size_t targets = 0;
  for (const auto& c : cfg.inventory.circuits)
    targets += !c.carrier_target.empty() + !c.customer_target.empty();
  return fmt::format("{} devices, {} circuits, {} probe targets", cfg.inventory.devices.size(),
                     cfg.inventory.circuits.size(), targets);
}

}  // namespace circuitd::config
