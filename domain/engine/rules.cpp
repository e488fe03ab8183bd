// Fact names and first-match lookup; reading rule files is config/rules_file.cpp's job.
#include "domain/engine/rules.hpp"

#include <array>

namespace circuitd::engine {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Fact::kCount)> kFactNames = {
    "monitor_blind",
    "maintenance_window",
    "maintenance_notice_ok",
    "force_majeure",
    "device_silent",
    "sysuptime_reset",
    "dying_gasp",
    "uplink_down",
    "optical_low",
    "optical_los",
    "uni_down",
    "uni_admin_down",
    "carrier_icmp_fail",
    "customer_icmp_fail",
    "cfm_loc",
    "loss_high",
    "latency_high",
    "utilisation_high",
    "device_neighbours_failing",
    "uplink_neighbours_failing",
    "aggregation_neighbours_failing",
    "site_neighbours_failing",
    "circuit_down",
    "circuit_degraded",
};

}  // namespace

std::string_view toString(Fact f) { return kFactNames[static_cast<std::size_t>(f)]; }

std::optional<Fact> parseFact(std::string_view s) {
  for (std::size_t i = 0; i < kFactNames.size(); ++i)
    if (kFactNames[i] == s) return static_cast<Fact>(i);
  return std::nullopt;
}

const Rule* Rules::match(const FactSet& f) const {
  for (const auto& r : rules)
    if (r.matches(f)) return &r;
  return nullptr;
}

}  // namespace circuitd::engine
