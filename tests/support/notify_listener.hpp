#pragma once
// systemd's side of sd_notify for tests that run the daemon: a bound AF_UNIX datagram socket
// read by a thread, every message kept with its arrival time.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace circuitd::testing {

/// One datagram received on the notification socket, with its arrival time.
struct NotifyMessage {
  std::chrono::steady_clock::time_point at;  ///< when it arrived
  std::string text;                          ///< "READY=1\nSTATUS=..." as sent
};

/// A notification socket the daemon is pointed at with NOTIFY_SOCKET.
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

}  // namespace circuitd::testing
