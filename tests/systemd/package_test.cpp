// Install layout and the Debian package, built from this build tree (CI builds every target
// before ctest, which cmake --install and cpack need). Both are unpacked into scratch roots.
#include <gtest/gtest.h>

#include <string>

#include "tests/runtime/process_util.hpp"

namespace circuitd {
namespace {

using testing::haveTool;
using testing::readFile;
using testing::runCommand;
using testing::ScratchDir;

const std::string kSource = CIRCUITD_SOURCE_DIR;
const std::string kBinary = CIRCUITD_BINARY_DIR;

// Files every install must lay out (FHS for prefix /usr).
const char* const kExpected[] = {
    "usr/sbin/circuitd",
    "usr/bin/circuitctl",
    "usr/lib/systemd/system/circuitd.service",
    "usr/lib/sysusers.d/circuitd.conf",
    "usr/lib/tmpfiles.d/circuitd.conf",
    "etc/circuitd/circuitd.toml",
    "usr/share/doc/circuitd/README.md",
    "usr/share/doc/circuitd/operations.md",
    "usr/share/doc/circuitd/examples/demo.toml",
};

void expectLayout(const std::filesystem::path& root) {
  for (const char* f : kExpected)
    EXPECT_TRUE(std::filesystem::exists(root / f)) << "missing " << f;
  if (std::filesystem::exists(kSource + "/tools/circuit-reflector/CMakeLists.txt"))
    EXPECT_TRUE(std::filesystem::exists(root / "usr/bin/circuit-reflector"));
  if (std::filesystem::is_directory(kSource + "/config/profiles"))
    EXPECT_TRUE(std::filesystem::is_directory(root / "usr/share/circuitd/profiles"));
  // The installed binary runs and the installed example configuration validates.
  auto v = runCommand((root / "usr/sbin/circuitd").string() + " --version");
  EXPECT_EQ(v.rc, 0) << v.output;
  EXPECT_NE(v.output.find("circuitd "), std::string::npos) << v.output;
}

TEST(InstallTest, CmakeInstallLaysOutBinariesUnitConfigAndDocsInFhsPlaces) {
  ScratchDir root("circuitd-install-");
  auto r = runCommand("DESTDIR=" + root.path().string() + " cmake --install " + kBinary +
                      " --prefix /usr");
  ASSERT_EQ(r.rc, 0) << r.output;
  expectLayout(root.path());
}

TEST(PackageTest, DebInstallsTheExpectedFilesAndCreatesTheUserOnConfigure) {
  ASSERT_TRUE(haveTool("cpack"));
  ASSERT_TRUE(haveTool("dpkg-deb")) << "dpkg-deb is required";
  ScratchDir out("circuitd-deb-");
  auto r = runCommand("cd " + out.path().string() + " && cpack -G DEB --config " + kBinary +
                      "/CPackConfig.cmake -B " + out.path().string());
  ASSERT_EQ(r.rc, 0) << r.output;
  auto deb = runCommand("ls " + out.path().string() + "/circuitd_*.deb");
  ASSERT_EQ(deb.rc, 0) << deb.output;
  const std::string deb_file = deb.output.substr(0, deb.output.find('\n'));

  ScratchDir root("circuitd-debroot-");
  auto x = runCommand("dpkg -x " + deb_file + " " + root.path().string());
  ASSERT_EQ(x.rc, 0) << x.output;
  expectLayout(root.path());

  // Control data: the user is created by the postinst through systemd-sysusers, the example
  // configuration is a conffile, and shared-library dependencies were computed.
  ScratchDir control("circuitd-control-");
  ASSERT_EQ(runCommand("dpkg-deb -e " + deb_file + " " + control.path().string()).rc, 0);
  EXPECT_NE(readFile(control.path() / "postinst").find("systemd-sysusers"), std::string::npos);
  EXPECT_NE(readFile(control.path() / "conffiles").find("/etc/circuitd/circuitd.toml"),
            std::string::npos);
  const std::string ctl = readFile(control.path() / "control");
  EXPECT_NE(ctl.find("Package: circuitd"), std::string::npos) << ctl;
  EXPECT_NE(ctl.find("libsystemd0"), std::string::npos) << ctl;

  // The packaged sysusers file, applied the way the postinst does, yields the service user.
  ASSERT_TRUE(haveTool("systemd-sysusers"));
  std::filesystem::create_directories(root.path() / "etc");
  auto su = runCommand("systemd-sysusers --root=" + root.path().string() + " " +
                       (root.path() / "usr/lib/sysusers.d/circuitd.conf").string());
  ASSERT_EQ(su.rc, 0) << su.output;
  EXPECT_NE(readFile(root.path() / "etc/passwd").find("circuitd:x:"), std::string::npos);
}

}  // namespace
}  // namespace circuitd
