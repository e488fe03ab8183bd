#pragma once
// Runs the real circuitctl binary in a scratch directory and captures its exit code and output.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace contract_test {

/// What one circuitctl run produced.
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

/// Path of the circuitctl built with the tests.
inline std::string circuitctlPath() { return std::string(CIRCUITD_BINARY_DIR) + "/tools/circuitctl/circuitctl"; }

/// tests/data/contract in the source tree.
inline std::string dataDir() { return std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/contract"; }

/// Single-quotes a string for /bin/sh.
inline std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Whole file as a string ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A fresh directory under the system temp dir, removed by the destructor.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "circuitd-contract-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// The directory.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Runs `circuitctl ARGS` with the working directory `cwd`.
inline RunResult runCircuitctl(const std::string& args, const std::filesystem::path& cwd, const ScratchDir& scratch) {
  const auto out = scratch.path() / ".stdout", err = scratch.path() / ".stderr";
  const std::string cmd = "cd " + shellQuote(cwd.string()) + " && " + shellQuote(circuitctlPath()) + " " + args + " >" +
                          shellQuote(out.string()) + " 2>" + shellQuote(err.string());
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

}  // namespace contract_test
