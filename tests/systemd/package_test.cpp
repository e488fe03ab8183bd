// Install layout and the Debian package, built from this build tree (CI builds every target
// before ctest, which cmake --install and cpack need). Both are unpacked into scratch roots.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace circuitd {
namespace {

using testing::haveTool;
using testing::readFile;
using testing::ScratchDir;

// Runs argv with stderr and stdout together, as the packaging tools print them to a terminal.
testing::CommandResult runMerged(const std::vector<std::string>& argv,
                                 testing::RunOptions opts = {}) {
  opts.merge_stderr = true;
  return testing::run(argv, opts);
}

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
  for (const char* f : kExpected) EXPECT_TRUE(std::filesystem::exists(root / f)) << "missing " << f;
  if (std::filesystem::exists(kSource + "/tools/circuit-reflector/CMakeLists.txt"))
    EXPECT_TRUE(std::filesystem::exists(root / "usr/bin/circuit-reflector"));
  if (std::filesystem::is_directory(kSource + "/config/profiles"))
    EXPECT_TRUE(std::filesystem::is_directory(root / "usr/share/circuitd/profiles"));
  // The installed binary runs and the installed example configuration validates.
  auto v = runMerged({(root / "usr/sbin/circuitd").string(), "--version"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("circuitd "), std::string::npos) << v.out;
}

TEST(InstallTest, CmakeInstallLaysOutBinariesUnitConfigAndDocsInFhsPlaces) {
  ScratchDir root("circuitd-install-");
  testing::RunOptions install;
  install.env = {"DESTDIR=" + root.path().string()};
  auto r = runMerged({"cmake", "--install", kBinary, "--prefix", "/usr"}, install);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  expectLayout(root.path());
}

TEST(PackageTest, DebInstallsTheExpectedFilesAndCreatesTheUserOnConfigure) {
  ASSERT_TRUE(haveTool("cpack"));
  ASSERT_TRUE(haveTool("dpkg-deb")) << "dpkg-deb is required";
  ScratchDir out("circuitd-deb-");
  testing::RunOptions in_out;
  in_out.cwd = out.path();
  auto r = runMerged(
      {"cpack", "-G", "DEB", "--config", kBinary + "/CPackConfig.cmake", "-B", out.path().string()},
      in_out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The package cpack wrote: the first circuitd_*.deb by name.
  std::string deb_file;
  for (const auto& e : std::filesystem::directory_iterator(out.path())) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("circuitd_") && name.ends_with(".deb") &&
        (deb_file.empty() || e.path().string() < deb_file))
      deb_file = e.path().string();
  }
  ASSERT_NE(deb_file, "") << "no circuitd_*.deb in " << out.path();

  ScratchDir root("circuitd-debroot-");
  auto x = runMerged({"dpkg", "-x", deb_file, root.path().string()});
  ASSERT_EQ(x.exit_code, 0) << x.out;
  expectLayout(root.path());

  // Control data: the user is created by the postinst through systemd-sysusers, the example
  // configuration is a conffile, and shared-library dependencies were computed.
  ScratchDir control("circuitd-control-");
  ASSERT_EQ(runMerged({"dpkg-deb", "-e", deb_file, control.path().string()}).exit_code, 0);
  EXPECT_NE(readFile(control.path() / "postinst").find("systemd-sysusers"), std::string::npos);
  EXPECT_NE(readFile(control.path() / "conffiles").find("/etc/circuitd/circuitd.toml"),
            std::string::npos);
  const std::string ctl = readFile(control.path() / "control");
  EXPECT_NE(ctl.find("Package: circuitd"), std::string::npos) << ctl;
  EXPECT_NE(ctl.find("libsystemd0"), std::string::npos) << ctl;

  // The packaged sysusers file, applied the way the postinst does, yields the service user.
  ASSERT_TRUE(haveTool("systemd-sysusers"));
  std::filesystem::create_directories(root.path() / "etc");
  auto su = runMerged({"systemd-sysusers", "--root=" + root.path().string(),
                       (root.path() / "usr/lib/sysusers.d/circuitd.conf").string()});
  ASSERT_EQ(su.exit_code, 0) << su.out;
  EXPECT_NE(readFile(root.path() / "etc/passwd").find("circuitd:x:"), std::string::npos);
}

}  // namespace
}  // namespace circuitd
