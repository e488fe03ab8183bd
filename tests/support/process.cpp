#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "tests/support/files.hpp"

extern char** environ;

namespace circuitd::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The test's environment without JOURNAL_STREAM, with `extra` added or replacing.
std::vector<std::string> childEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (!std::string_view(*e).starts_with("JOURNAL_STREAM=")) env.emplace_back(*e);
  for (const auto& entry : extra) {
    const std::string name = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(name); });
    env.push_back(entry);
  }
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decodeStatus(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// posix_spawn with the file actions and attributes both run() and Process need. Returns the pid,
// or -1 with `error` set when the program could not be started (glibc reports a failed exec to
// the parent).
struct Spawn {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  Spawn() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~Spawn() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  Spawn(const Spawn&) = delete;
  Spawn& operator=(const Spawn&) = delete;

  void ownGroup() {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  pid_t start(const std::vector<std::string>& argv, std::vector<std::string> env,
              std::string& error) {
    if (argv.empty()) {
      error = "empty argv";
      return -1;
    }
    std::vector<std::string> args = argv;
    auto argp = pointers(args);
    auto envp = pointers(env);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, argp[0], &actions, &attr, argp.data(), envp.data());
    if (rc != 0) {
      error = "cannot run " + argv[0] + ": " + std::strerror(rc);
      return -1;
    }
    return pid;
  }
};

// Writes to a pipe whose reader may have gone: EPIPE instead of a SIGPIPE that would end the test.
// SIGPIPE goes to the writing thread, so blocking it here and taking it if it came is enough.
ssize_t writeNoSigpipe(int fd, std::string_view data) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending_before;
  sigpending(&pending_before);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  const ssize_t w = ::write(fd, data.data(), data.size());
  const int saved = errno;
  if (w < 0 && saved == EPIPE && !sigismember(&pending_before, SIGPIPE)) {
    const timespec now{0, 0};
    ::sigtimedwait(&pipe_only, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return w;
}

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

CommandResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  CommandResult r;
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || (!options.merge_stderr && ::pipe2(err, O_CLOEXEC) != 0) ||
      (options.stdin_text && ::pipe2(in, O_CLOEXEC) != 0)) {
    for (int* p : {out, err, in}) closeFd(p[0]), closeFd(p[1]);
    r.err = "pipe failed";
    return r;
  }
  const int err_write = options.merge_stderr ? out[1] : err[1];
  std::vector<std::string> extra = options.env;
  if (options.stderr_is_journal) {
    struct stat st {};
    ::fstat(err_write, &st);
    extra.push_back("JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" +
                    std::to_string(st.st_ino));
  }
  Spawn spawn;
  posix_spawn_file_actions_adddup2(&spawn.actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&spawn.actions, err_write, STDERR_FILENO);
  if (options.stdin_text) posix_spawn_file_actions_adddup2(&spawn.actions, in[0], STDIN_FILENO);
  if (!options.cwd.empty())
    posix_spawn_file_actions_addchdir_np(&spawn.actions, options.cwd.c_str());
  // A command with a time limit gets a group of its own so that the kill reaches what it started.
  const bool limited = options.timeout.count() > 0;
  if (limited) spawn.ownGroup();
  std::string spawn_error;
  const pid_t pid = spawn.start(argv, childEnvironment(extra), spawn_error);
  closeFd(out[1]);
  closeFd(err[1]);
  closeFd(in[0]);
  if (pid < 0) {
    for (int* p : {out, err, in}) closeFd(p[0]), closeFd(p[1]);
    r.exit_code = 127;
    r.err = spawn_error;
    return r;
  }

  const auto deadline = Clock::now() + options.timeout;
  std::string_view pending = options.stdin_text ? std::string_view(*options.stdin_text) : "";
  if (in[1] >= 0 && pending.empty()) closeFd(in[1]);
  if (in[1] >= 0) ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  auto kill = [&] {
    if (!r.timed_out) ::kill(-pid, SIGKILL);
    r.timed_out = true;
  };
  while (out[0] >= 0 || err[0] >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    for (int fd : {out[0], err[0]})
      if (fd >= 0) fds[n++] = {fd, POLLIN, 0};
    if (in[1] >= 0) fds[n++] = {in[1], POLLOUT, 0};
    int wait_ms = -1;
    if (limited && !r.timed_out) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<long long>(0, left.count()));
    }
    const int ready = ::poll(fds, n, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      kill();
      continue;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in[1]) {
        const ssize_t w = writeNoSigpipe(in[1], pending);
        if (w > 0) pending.remove_prefix(static_cast<std::size_t>(w));
        if (w < 0 && errno != EAGAIN && errno != EINTR) pending = {};
        if (pending.empty()) closeFd(in[1]);
        continue;
      }
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (fds[i].fd == out[0] ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        closeFd(fds[i].fd == out[0] ? out[0] : err[0]);
      }
    }
  }
  closeFd(in[1]);
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, limited && !r.timed_out ? WNOHANG : 0);
    if (w == pid) {
      r.exit_code = decodeStatus(status);
      break;
    }
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (Clock::now() >= deadline)
        kill();
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return r;
}

CommandResult runShell(const std::string& line, const RunOptions& options) {
  return run({"/bin/sh", "-c", line}, options);
}

std::string findTool(const std::string& tool) {
  if (tool.find('/') != std::string::npos) return ::access(tool.c_str(), X_OK) == 0 ? tool : "";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + tool;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

bool haveTool(const std::string& tool) { return !findTool(tool).empty(); }

std::string runInChild(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return "fork failed";
  }
  if (pid == 0) {
    ::close(fds[0]);
    const std::string msg = fn();
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return got;
}

Process::Process(const std::vector<std::string>& argv, const SpawnOptions& options)
    : group_(options.own_group), log_(options.log) {
  Spawn spawn;
  int fd = -1;
  if (!log_.empty()) {
    fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open " + log_.string());
    posix_spawn_file_actions_adddup2(&spawn.actions, fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&spawn.actions, fd, STDERR_FILENO);
  }
  if (group_) spawn.ownGroup();
  std::string error;
  pid_ = spawn.start(argv, childEnvironment(options.env), error);
  if (fd >= 0) ::close(fd);
  if (pid_ < 0) {
    status_ = 127;
    if (!log_.empty()) writeFile(log_, error + "\n");
  }
}

Process::~Process() {
  if (!running()) return;
  signal(SIGTERM);
  if (wait(std::chrono::seconds(1)) < 0) {
    signal(SIGKILL);
    wait();
  }
}

void Process::signal(int sig) const {
  if (!running()) return;
  if (group_) ::kill(-pid_, sig);
  ::kill(pid_, sig);
}

std::optional<int> Process::tryWait() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = decodeStatus(st);
  return status_;
}

int Process::wait(std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  for (;;) {
    if (auto st = tryWait()) return *st;
    if (Clock::now() >= end) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int Process::wait() {
  if (status_ || pid_ <= 0) return status_.value_or(-1);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = decodeStatus(st);
  return *status_;
}

std::string Process::log() const { return log_.empty() ? "" : readFile(log_); }

bool Process::waitForLog(const std::string& needle, std::chrono::milliseconds limit) const {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (log().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return log().find(needle) != std::string::npos;
}

}  // namespace circuitd::testing
