// The shipped unit, sysusers and tmpfiles files, checked with systemd's own tools. CI runs as
// root on Debian 12 with systemd installed: a missing tool is a failure, not a skip.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace circuitd {
namespace {

using testing::haveTool;
using testing::readFile;
using testing::ScratchDir;
using testing::writeFile;

// Runs argv with stderr and stdout together, as systemd's tools print them to a terminal.
testing::CommandResult runMerged(const std::vector<std::string>& argv) {
  testing::RunOptions opts;
  opts.merge_stderr = true;
  return testing::run(argv, opts);
}

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
  auto r = runMerged({"systemd-analyze", "verify", (dir.path() / "circuitd.service").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "") << "verify printed warnings";
}

TEST(SystemdUnitTest, SecurityExposureIsBelowThree) {
  ASSERT_TRUE(haveTool("systemd-analyze"));
  ScratchDir dir("circuitd-unit-");
  writeFile(dir.path() / "circuitd.service", unitForThisBuild());
  auto r = runMerged({"systemd-analyze", "security", "--offline=yes", "--no-pager",
                      (dir.path() / "circuitd.service").string()});
  std::smatch m;
  const std::regex level(R"(Overall exposure level for circuitd\.service: ([0-9.]+))");
  ASSERT_TRUE(std::regex_search(r.out, m, level)) << r.out;
  const double exposure = std::stod(m[1]);
  RecordProperty("exposure", m[1].str());
  std::printf("systemd-analyze security exposure: %.1f\n", exposure);
  EXPECT_LT(exposure, 3.0) << r.out;
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
  auto r = runMerged({"systemd-sysusers", "--root=" + root.path().string(),
                      kSource + "/systemd/circuitd.sysusers"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string passwd = readFile(root.path() / "etc/passwd");
  EXPECT_TRUE(std::regex_search(
      passwd, std::regex(R"((^|\n)circuitd:x:[0-9]+:[0-9]+:[^:]*:/var/lib/circuitd:)")))
      << passwd;
  EXPECT_NE(readFile(root.path() / "etc/group").find("circuitd:x:"), std::string::npos);
}

TEST(SystemdUnitTest, TmpfilesFileCreatesStateAndConfigDirectoriesInAScratchRoot) {
  ASSERT_TRUE(haveTool("systemd-tmpfiles"));
  ScratchDir root("circuitd-root-");
  std::filesystem::create_directories(root.path() / "etc");
  ASSERT_EQ(runMerged({"systemd-sysusers", "--root=" + root.path().string(),
                       kSource + "/systemd/circuitd.sysusers"})
                .exit_code,
            0);
  auto r = runMerged({"systemd-tmpfiles", "--create", "--root=" + root.path().string(),
                      kSource + "/systemd/circuitd.tmpfiles"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::is_directory(root.path() / "var/lib/circuitd"));
  EXPECT_TRUE(std::filesystem::is_directory(root.path() / "etc/circuitd"));
}

}  // namespace
}  // namespace circuitd
