#include "tests/support/programs.hpp"

#include <regex>

namespace circuitd::testing {

std::string circuitdBinary() { return std::string(CIRCUITD_BINARY_DIR) + "/daemon/circuitd"; }

std::string circuitctlBinary() {
  return std::string(CIRCUITD_BINARY_DIR) + "/tools/circuitctl/circuitctl";
}

std::string testDataPath(const std::string& relative) {
  return std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/" + relative;
}

int waitForHttpPort(const Process& daemon, std::chrono::milliseconds limit) {
  static const std::string kListening = "HTTP endpoint listening on 127.0.0.1:";
  if (!daemon.waitForLog(kListening, limit)) return -1;
  static const std::regex re(R"(HTTP endpoint listening on 127\.0\.0\.1:(\d+))");
  std::smatch m;
  const std::string log = daemon.log();
  return std::regex_search(log, m, re) ? std::stoi(m[1]) : -1;
}

}  // namespace circuitd::testing
