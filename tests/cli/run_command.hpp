#pragma once
// Runs a real executable with arguments and captures its exit code, stdout and stderr separately
// (fork/exec into temp files, no shell quoting involved).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace circuitd::testing {

/// What a finished process left behind.
struct CommandResult {
  int exit_code = -1;  ///< exit status, or 128 + signal
  std::string out;     ///< stdout
  std::string err;     ///< stderr
};

/// Runs argv[0] with argv and the given extra environment entries ("NAME=value"); waits for it.
/// stderr_is_journal sets JOURNAL_STREAM to stderr's device:inode, as systemd does.
inline CommandResult runCommand(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env = {},
                                bool stderr_is_journal = false) {
  char out_path[] = "/tmp/circuitd-test-out-XXXXXX";
  char err_path[] = "/tmp/circuitd-test-err-XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  CommandResult r;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    unsetenv("JOURNAL_STREAM");
    if (stderr_is_journal) {
      struct stat st {};
      fstat(STDERR_FILENO, &st);
      setenv("JOURNAL_STREAM",
             (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  const auto slurp = [](const char* path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  close(out_fd);
  close(err_fd);
  unlink(out_path);
  unlink(err_path);
  return r;
}

}  // namespace circuitd::testing
