#pragma once
// Vendor profile files (config/profiles/NAME.toml, docs/snmp.md) read into snmp::VendorProfile.
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/result.hpp"
#include "probes/snmp/profile.hpp"

namespace circuitd::config {

/// Parses a profile from TOML text; the first problem is returned as "source:line:col key: what".
Result<snmp::VendorProfile> parseProfile(std::string_view toml_text, const std::string& source);
/// Reads and parses a profile file.
Result<snmp::VendorProfile> loadProfileFile(const std::string& path);
/// Finds NAME.toml in `dirs` (first hit wins) and parses it.
Result<snmp::VendorProfile> loadProfile(const std::string& name,
                                        const std::vector<std::string>& dirs);
/// Profile search path: $CIRCUITD_PROFILE_DIR, /etc/circuitd/profiles, the source tree's
/// config/profiles.
std::vector<std::string> defaultProfileDirs();

}  // namespace circuitd::config
