#pragma once
// Runs the real circuitctl binary in a given working directory, for import-contract end to end.
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace contract_test {

using circuitd::testing::CommandResult;
using circuitd::testing::readFile;
using circuitd::testing::ScratchDir;

/// tests/data/contract in the source tree.
inline std::string dataDir() { return std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/contract"; }

/// Runs `circuitctl args...` with the working directory `cwd`.
inline CommandResult runCircuitctl(const std::vector<std::string>& args,
                                   const std::filesystem::path& cwd) {
  std::vector<std::string> argv = {circuitd::testing::circuitctlBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  circuitd::testing::RunOptions opts;
  opts.cwd = cwd;
  return circuitd::testing::run(argv, opts);
}

}  // namespace contract_test
