#pragma once
// The programs built with the tests and what the daemon says when it is up, for suites that
// run them as a user would.
#include <chrono>
#include <string>

#include "tests/support/process.hpp"

namespace circuitd::testing {

/// The circuitd daemon of this build.
std::string circuitdBinary();
/// The circuitctl of this build.
std::string circuitctlBinary();
/// A file under the source tree's tests/data ("snmp/if-mib.snmprec").
std::string testDataPath(const std::string& relative);

/// Waits until the daemon's log says where its HTTP endpoint listens on 127.0.0.1 (it binds
/// port 0 when told to, so parallel runs never collide); that port, or -1 after `limit`.
int waitForHttpPort(const Process& daemon, std::chrono::milliseconds limit);

}  // namespace circuitd::testing
