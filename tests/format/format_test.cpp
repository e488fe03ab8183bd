// The checked-in .clang-format holds for the whole tree: this is the CI check that fails on an
// unformatted change. The other cases prove that the check finds an unformatted file (in a
// scratch copy of the script and the style) and that the rewrite makes it pass.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using circuitd::testing::readFile;
using circuitd::testing::run;
using circuitd::testing::ScratchDir;
using circuitd::testing::writeFile;

namespace {

const fs::path kSource = CIRCUITD_SOURCE_DIR;

// A scratch tree with the script and the style, outside any git checkout (the script then lists
// the sources with find).
struct ScratchTree {
  ScratchDir dir{"circuitd-format-"};
  ScratchTree() {
    fs::create_directories(dir.path() / "tools");
    fs::create_directories(dir.path() / "domain");
    fs::copy_file(kSource / "tools/format.sh", dir.path() / "tools/format.sh");
    fs::copy_file(kSource / ".clang-format", dir.path() / ".clang-format");
  }
  std::string script() const { return (dir.path() / "tools/format.sh").string(); }
};

}  // namespace

TEST(Format, TheWholeTreeIsFormatted) {
  const auto r = run({(kSource / "tools/format.sh").string(), "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("files formatted"), std::string::npos) << r.out;
}

TEST(Format, CheckNamesAnUnformattedFileAndFails) {
  ScratchTree t;
  writeFile(t.dir.path() / "domain/ok.cpp", "int f(int a) { return a + 1; }\n");
  writeFile(t.dir.path() / "domain/bad.cpp", "int   g( int a ){return a+1;}\n");
  const auto r = run({t.script(), "--check"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("domain/bad.cpp is not formatted"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("domain/ok.cpp"), std::string::npos) << r.out;
}

TEST(Format, RewriteMakesTheCheckPass) {
  ScratchTree t;
  const auto bad = t.dir.path() / "domain/bad.hpp";
  writeFile(bad, "#pragma once\nint   g( int a ){return a+1;}\n");
  ASSERT_EQ(run({t.script()}).exit_code, 0);
  EXPECT_EQ(readFile(bad), "#pragma once\nint g(int a) { return a + 1; }\n");
  const auto r = run({t.script(), "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}
