// The shipped unit, sysusers and tmpfiles files, checked with systemd's own tools. CI runs as
// root on Debian 12 with systemd installed: a missing tool is a failure, not a skip.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/runtime/process_util.hpp"

namespace circuitd {
namespace {

using testing::haveTool;
using testing::readFile;
using testing::runCommand;
using testing::ScratchDir;
using testing::writeFile;

const std::string kSource = CIRCUITD_SOURCE_DIR;
const std::string kBinary = CIRCUITD_BINARY_DIR;

// The unit as installed, but with ExecStart pointing at the binary of this build: verify checks
// that the command exists and is executable, and /usr/sbin/circuitd is not installed here.
std::string unitForThisBuild() {
  std::string unit = readFile(kSource + "/systemd/circuitd.service");
  const std::string from = "ExecStart=/usr/sbin/circuitd";
  const auto at = unit.find(from);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos)
    unit.replace(at, from.size(), "ExecStart=" + kBinary + "/daemon/circuitd");
  return unit;
}

TEST(SystemdUnitTest, PassesSystemdAnalyzeVerifyWithoutWarnings) {
  ASSERT_TRUE(haveTool("systemd-analyze")) << "systemd-analyze is required (package systemd)";
  ScratchDir dir("circuitd-unit-");
  writeFile(dir.path() / "circuitd.service", unitForThisBuild());
  auto r = runCommand("systemd-analyze verify " + (dir.path() / "circuitd.service").string());
  EXPECT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(r.output, "") << "verify printed warnings";
}

TEST(SystemdUnitTest, SecurityExposureIsBelowThree) {
  ASSERT_TRUE(haveTool("systemd-analyze"));
  ScratchDir dir("circuitd-unit-");
  writeFile(dir.path() / "circuitd.service", unitForThisBuild());
  auto r = runCommand("systemd-analyze security --offline=yes --no-pager " +
                      (dir.path() / "circuitd.service").string());
  std::smatch m;
  const std::regex level(R"(Overall exposure level for circuitd\.service: ([0-9.]+))");
  ASSERT_TRUE(std::regex_search(r.output, m, level)) << r.output;
  const double exposure = std::stod(m[1]);
  RecordProperty("exposure", m[1].str());
  std::printf("systemd-analyze security exposure: %.1f\n", exposure);
  EXPECT_LT(exposure, 3.0) << r.output;
}

TEST(SystemdUnitTest, DeclaresNotifyWatchdogUserAndHardening) {
  const std::string unit = readFile(kSource + "/systemd/circuitd.service");
  for (const char* line :
       {"Type=notify", "WatchdogSec=", "Restart=on-failure", "User=circuitd",
        "StateDirectory=circuitd", "ConfigurationDirectory=circuitd",
        "AmbientCapabilities=CAP_NET_RAW", "ProtectSystem=strict", "NoNewPrivileges=yes",
        "RestrictAddressFamilies=", "SystemCallFilter=@system-service"}) {
    EXPECT_NE(unit.find(std::string("\n") + line), std::string::npos) << line;
  }
  // Only the network capabilities: nothing like CAP_SYS_ADMIN or CAP_DAC_OVERRIDE.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(unit, m, std::regex(R"(\nCapabilityBoundingSet=([^\n]*))")));
  EXPECT_EQ(m[1].str(), "CAP_NET_RAW CAP_NET_BIND_SERVICE");
}

TEST(SystemdUnitTest, SysusersFileCreatesTheServiceUserInAScratchRoot) {
  ASSERT_TRUE(haveTool("systemd-sysusers")) << "systemd-sysusers is required (package systemd)";
  ScratchDir root("circuitd-root-");
  std::filesystem::create_directories(root.path() / "etc");
  auto r = runCommand("systemd-sysusers --root=" + root.path().string() + " " + kSource +
                      "/systemd/circuitd.sysusers");
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string passwd = readFile(root.path() / "etc/passwd");
  EXPECT_TRUE(std::regex_search(passwd, std::regex(R"((^|\n)circuitd:x:[0-9]+:[0-9]+:[^:]*:/var/lib/circuitd:)")))
      << passwd;
  EXPECT_NE(readFile(root.path() / "etc/group").find("circuitd:x:"), std::string::npos);
}

TEST(SystemdUnitTest, TmpfilesFileCreatesStateAndConfigDirectoriesInAScratchRoot) {
  ASSERT_TRUE(haveTool("systemd-tmpfiles"));
  ScratchDir root("circuitd-root-");
  std::filesystem::create_directories(root.path() / "etc");
  ASSERT_EQ(runCommand("systemd-sysusers --root=" + root.path().string() + " " + kSource +
                       "/systemd/circuitd.sysusers").rc, 0);
  auto r = runCommand("systemd-tmpfiles --create --root=" + root.path().string() + " " + kSource +
                      "/systemd/circuitd.tmpfiles");
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_TRUE(std::filesystem::is_directory(root.path() / "var/lib/circuitd"));
  EXPECT_TRUE(std::filesystem::is_directory(root.path() / "etc/circuitd"));
}

}  // namespace
}  // namespace circuitd
