#pragma once
// Running programs from a test: a command to completion with its exit code, stdout and stderr
// captured apart; a program in the background (a daemon, an agent) with its output in a log
// file; and a function in a forked copy of the test. Arguments go to the program as they are:
// a shell runs only when a caller asks for one with runShell.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace circuitd::testing {

/// What a finished command left behind.
struct CommandResult {
  int exit_code = -1;      ///< exit status, or 128 + signal; 127 when the program could not run
  std::string out;         ///< stdout (with stderr when RunOptions::merge_stderr)
  std::string err;         ///< stderr
  bool timed_out = false;  ///< killed because RunOptions::timeout passed
};

/// How run() starts a command. Everything left out is inherited from the test.
struct RunOptions {
  /// Extra or replacing environment entries ("NAME=value").
  std::vector<std::string> env;
  /// Fed to the command's stdin, which is then closed; without it stdin is the test's own.
  std::optional<std::string> stdin_text;
  /// Working directory; empty: the test's.
  std::filesystem::path cwd;
  /// Killed (with everything it started) after this long; zero: no limit.
  std::chrono::milliseconds timeout{0};
  /// stderr goes into `out` as well, interleaved as `2>&1` would.
  bool merge_stderr = false;
  /// JOURNAL_STREAM names stderr, as systemd sets it for a service logging to the journal.
  bool stderr_is_journal = false;
};

/// Runs argv[0] (looked up on PATH when it has no '/') with argv and waits for it. The test's
/// own JOURNAL_STREAM is never passed on, so a test run under systemd sees the same output.
CommandResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

/// Runs `/bin/sh -c line`: only for a test that means a shell line (a pipeline, a redirection).
CommandResult runShell(const std::string& line, const RunOptions& options = {});

/// The full path of `tool` on PATH, or "" when it is not there.
std::string findTool(const std::string& tool);

/// True when `tool` is on PATH.
bool haveTool(const std::string& tool);

/// Runs fn in a forked copy of the test process, for what only a whole process can change (its
/// user, its network namespace); returns the text fn returned there.
std::string runInChild(const std::function<std::string()>& fn);

/// How Process starts a program.
struct SpawnOptions {
  /// Extra or replacing environment entries ("NAME=value").
  std::vector<std::string> env;
  /// stdout and stderr go to this file (truncated first); empty: the test's own.
  std::filesystem::path log;
  /// In a process group of its own, which signals and the destructor reach as a whole (for
  /// programs that start helpers of their own).
  bool own_group = false;
};

/// A program running in the background. The destructor stops it if it still runs: SIGTERM,
/// then SIGKILL after a second.
class Process {
 public:
  /// Starts argv[0] (looked up on PATH when it has no '/') with argv.
  explicit Process(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Process id (-1 when it could not be started).
  pid_t pid() const { return pid_; }
  /// True while the process has not been reaped.
  bool running() const { return pid_ > 0 && !status_; }
  /// Sends a signal (to the group with SpawnOptions::own_group).
  void signal(int sig) const;
  /// The exit status (128 + signal when killed) if it has ended, without blocking.
  std::optional<int> tryWait();
  /// Waits up to `limit` for exit; the exit status, or -1 while it still runs.
  int wait(std::chrono::milliseconds limit);
  /// Blocks until exit; the exit status.
  int wait();
  /// The log so far ("" without a log file).
  std::string log() const;
  /// Waits until the log contains `needle`; false after `limit`.
  bool waitForLog(const std::string& needle, std::chrono::milliseconds limit) const;

 private:
  pid_t pid_ = -1;
  bool group_ = false;
  std::optional<int> status_;
  std::filesystem::path log_;
};

}  // namespace circuitd::testing
