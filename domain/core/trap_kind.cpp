#include "domain/core/trap_kind.hpp"

#include <utility>

namespace circuitd {
namespace {

constexpr std::pair<TrapKind, std::string_view> kKinds[] = {
    {TrapKind::LinkDown, "link_down"},
    {TrapKind::LinkUp, "link_up"},
    {TrapKind::ColdStart, "cold_start"},
    {TrapKind::WarmStart, "warm_start"},
    {TrapKind::DyingGasp, "dying_gasp"},
    {TrapKind::PowerLoss, "power_loss"},
    {TrapKind::OpticalAlarm, "optical_alarm"},
    {TrapKind::OpticalClear, "optical_clear"},
    {TrapKind::CfmLoc, "cfm_loc"},
    {TrapKind::CfmLocClear, "cfm_loc_clear"},
    {TrapKind::Other, "other"}};

}  // namespace

std::string_view toString(TrapKind k) {
  for (const auto& [kind, name] : kKinds)
    if (kind == k) return name;
  return "other";
}

std::optional<TrapKind> parseTrapKind(std::string_view s) {
  for (const auto& [kind, name] : kKinds)
    if (name == s) return kind;
  return std::nullopt;
}

}  // namespace circuitd
