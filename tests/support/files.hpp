#pragma once
// Scratch directories and whole-file reads and writes for tests that hand files to programs.
#include <filesystem>
#include <string>

namespace circuitd::testing {

/// A fresh directory under the system's temporary directory, removed with all it holds on
/// destruction.
class ScratchDir {
 public:
  /// Creates <tmp>/<prefix>XXXXXX (mode 0700, as mkdtemp makes it).
  explicit ScratchDir(const std::string& prefix = "circuitd-test-");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// The directory.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Reads a whole file ("" when it cannot be read).
std::string readFile(const std::filesystem::path& p);
/// Writes a whole file, replacing what was there.
void writeFile(const std::filesystem::path& p, const std::string& text);

}  // namespace circuitd::testing
