#pragma once
// The exec hook: runs a program with an argument vector (posix_spawn, never a shell), the event
// on its standard input and in the environment, and reports its exit status.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace boost::asio {
class io_context;
}

namespace circuitd::notify {

/// One run of a hook program.
struct ExecRequest {
  std::vector<std::string> argv;               ///< argv[0] is an absolute path
  std::map<std::string, std::string> env;      ///< added to a minimal environment
  std::string stdin_data;                      ///< written to the program's standard input
  Duration timeout{std::chrono::seconds{30}};  ///< killed (SIGKILL) after this
};

/// How it ended.
struct ExecResult {
  int exit_code = -1;  ///< -1 when it did not exit normally
  std::string error;   ///< spawn failure, signal or timeout
  /// Exited with status 0.
  bool ok() const { return exit_code == 0 && error.empty(); }
};

/// Replaces "{key}" style placeholders in each argument (no shell, no word splitting).
std::vector<std::string> expandArgv(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& vars);

/// Starts the program and reports on io's thread when it ends (polled, never blocking io).
void asyncExec(boost::asio::io_context& io, ExecRequest req, std::function<void(ExecResult)> done);

}  // namespace circuitd::notify
