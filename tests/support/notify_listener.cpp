#include "tests/support/notify_listener.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace circuitd::testing {

struct NotifyListener::Impl {
  int fd = -1;
  std::atomic<bool> done{false};
  mutable std::mutex mu;
  std::vector<NotifyMessage> messages;
  std::thread reader;
};

NotifyListener::NotifyListener(const std::filesystem::path& path) : impl_(new Impl), path_(path) {
  impl_->fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (impl_->fd < 0) throw std::runtime_error("socket(AF_UNIX) failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::bind(impl_->fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error("bind " + path.string() + " failed");
  impl_->reader = std::thread([impl = impl_] {
    char buf[4096];
    while (!impl->done) {
      pollfd p{impl->fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(impl->fd, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      std::lock_guard<std::mutex> lock(impl->mu);
      impl->messages.push_back({std::chrono::steady_clock::now(), std::string(buf, size_t(n))});
    }
  });
}

NotifyListener::~NotifyListener() {
  impl_->done = true;
  impl_->reader.join();
  ::close(impl_->fd);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  delete impl_;
}

std::vector<NotifyMessage> NotifyListener::messages() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->messages;
}

std::string NotifyListener::waitFor(const std::string& needle, std::chrono::milliseconds limit,
                                    std::chrono::steady_clock::time_point after) const {
  const auto end = std::chrono::steady_clock::now() + limit;
  do {
    for (const auto& m : messages())
      if (m.at >= after && m.text.find(needle) != std::string::npos) return m.text;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  } while (std::chrono::steady_clock::now() < end);
  return "";
}

}  // namespace circuitd::testing
