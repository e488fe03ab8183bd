#include "tests/runtime/process_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace circuitd::testing {

CommandResult runCommand(const std::string& command) {
  CommandResult r;
  const std::string full = "( " + command + " ) 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool haveTool(const std::string& tool) {
  return runCommand("command -v " + tool + " >/dev/null").rc == 0;
}

int connectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& data) {
  return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

std::string readToClose(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, n);
  return out;
}

std::string rawExchange(int port, const std::string& raw) {
  const int fd = connectLoopback(port);
  if (fd < 0) return "";
  std::string out;
  if (sendAll(fd, raw)) out = readToClose(fd);
  ::close(fd);
  return out;
}

std::string httpGet(int port, const std::string& target) {
  return rawExchange(port, "GET " + target +
                               " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

ScratchDir::ScratchDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env,
                           const std::filesystem::path& log_file)
    : log_(log_file) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ChildProcess::wait(std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (pid_ > 0) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= end) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return -1;
}

std::string ChildProcess::log() const { return readFile(log_); }

bool ChildProcess::waitForLog(const std::string& needle, std::chrono::milliseconds limit) const {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (log().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return log().find(needle) != std::string::npos;
}

}  // namespace circuitd::testing

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>
#include <mutex>

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

Netns::Netns(const std::string& prefix) {
  static int count = 0;
  name_ = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++count);
  runCommand("ip netns del " + name_ + " 2>/dev/null");
  ok_ = runCommand("ip netns add " + name_).rc == 0 &&
        runCommand("ip -n " + name_ + " link set lo up").rc == 0;
}

Netns::~Netns() { runCommand("ip netns del " + name_); }

bool Netns::addr(const std::string& verb, const std::string& a) const {
  return runCommand("ip -n " + name_ + " addr " + verb + " " + a + "/32 dev lo").rc == 0;
}

bool Netns::batch(const std::string& lines) const {
  return runCommand("printf '" + lines + "' | ip -n " + name_ + " -batch -").rc == 0;
}

bool Netns::inside(const std::function<void()>& fn) const {
  bool entered = false;
  std::thread t([&] {
    const int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    entered = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    if (entered) fn();
  });
  t.join();
  return entered;
}

}  // namespace circuitd::testing
