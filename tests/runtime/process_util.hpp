#pragma once
// Helpers for tests that run real programs: shell commands with captured output, scratch
// directories, and the daemon as a child process.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace circuitd::testing {

/// Exit status and combined stdout+stderr of a shell command.
struct CommandResult {
  int rc = -1;
  std::string output;
};

/// Runs `sh -c command`, capturing stdout and stderr.
CommandResult runCommand(const std::string& command);

/// True when `tool` is on PATH.
bool haveTool(const std::string& tool);

/// A fresh directory under /tmp, removed on destruction.
class ScratchDir {
 public:
  /// Creates /tmp/<prefix>XXXXXX.
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// The directory.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Reads a whole file ("" when missing).
std::string readFile(const std::filesystem::path& p);
/// Writes a whole file.
void writeFile(const std::filesystem::path& p, const std::string& text);

/// A TCP connection to 127.0.0.1:port whose reads give up after 5 s (a hung server fails the
/// test instead of hanging it); -1 when it cannot connect.
int connectLoopback(int port);
/// Sends all of `data`; false when the connection refuses it.
bool sendAll(int fd, const std::string& data);
/// Reads until the peer closes (or resets, or 5 s pass); what arrived before.
std::string readToClose(int fd);
/// Sends `raw` to 127.0.0.1:port and reads until the server closes; "" when it cannot connect.
std::string rawExchange(int port, const std::string& raw);
/// GET `target` from 127.0.0.1:port with Connection: close; the whole response or "".
std::string httpGet(int port, const std::string& target);

/// A child process with stdout+stderr redirected to a log file.
class ChildProcess {
 public:
  /// Starts argv[0] with argv and extra environment entries ("K=V").
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::filesystem::path& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  /// Process id.
  pid_t pid() const { return pid_; }
  /// Sends a signal.
  void signal(int sig) const;
  /// Waits up to `limit` for exit; returns the exit status (128+signal when killed) or -1.
  int wait(std::chrono::milliseconds limit);
  /// True while the process has not been reaped.
  bool running() const { return pid_ > 0; }
  /// The log so far.
  std::string log() const;
  /// Waits until the log contains `needle`; false after `limit`.
  bool waitForLog(const std::string& needle, std::chrono::milliseconds limit) const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

}  // namespace circuitd::testing

namespace circuitd::testing {

/// One datagram received on the notification socket, with its arrival time.
struct NotifyMessage {
  std::chrono::steady_clock::time_point at;
  std::string text;
};

/// Plays systemd's side of sd_notify: a bound AF_UNIX datagram socket read by a thread.
class NotifyListener {
 public:
  /// Binds `path`.
  explicit NotifyListener(const std::filesystem::path& path);
  ~NotifyListener();
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;
  /// "NOTIFY_SOCKET=<path>" for the child's environment.
  std::string envEntry() const { return "NOTIFY_SOCKET=" + path_.string(); }
  /// Every message so far.
  std::vector<NotifyMessage> messages() const;
  /// Waits for a message containing `needle` received after `after`; its text, or "".
  std::string waitFor(const std::string& needle, std::chrono::milliseconds limit,
                      std::chrono::steady_clock::time_point after = {}) const;

 private:
  struct Impl;
  Impl* impl_;
  std::filesystem::path path_;
};

/// A network namespace made by the test, loopback up: probe targets answer or fall silent as
/// addresses are added to or removed from its loopback. Removed on destruction.
class Netns {
 public:
  /// Named "<prefix>-<pid>-<n>": a fresh name per use, since namespace teardown is asynchronous.
  explicit Netns(const std::string& prefix);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  /// `ip addr <verb> <a>/32 dev lo` in the namespace.
  bool addr(const std::string& verb, const std::string& a) const;
  /// Runs `ip -n <ns> -batch -` over the given lines.
  bool batch(const std::string& lines) const;
  /// Runs fn on a thread that entered the namespace (sockets it makes live there); false when
  /// the namespace could not be entered.
  bool inside(const std::function<void()>& fn) const;

 private:
  std::string name_;
  bool ok_ = false;
};

}  // namespace circuitd::testing
