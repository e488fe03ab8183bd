#pragma once
// Stable names of TrapKind, shared by vendor profiles, scenario files and JSON output.
#include <optional>
#include <string_view>

#include "domain/core/observation.hpp"

namespace circuitd {

/// "link_down", "dying_gasp", ... for a TrapKind.
std::string_view toString(TrapKind k);
/// Inverse of toString(TrapKind); nullopt for an unknown name.
std::optional<TrapKind> parseTrapKind(std::string_view s);

}  // namespace circuitd
