#include "tests/support/netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <thread>
#include <utility>

namespace circuitd::testing {
namespace {

// What a failed step says about itself: the command and what it printed.
std::string failure(const std::vector<std::string>& argv, const CommandResult& r) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  std::string why = r.out + r.err;
  while (!why.empty() && why.back() == '\n') why.pop_back();
  return "failed: " + cmd + (why.empty() ? "" : ": " + why);
}

std::vector<std::string> ipArgs(const VethEnd& end, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  if (end.ns != nullptr) argv.insert(argv.end(), {"-n", end.ns->name()});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

CommandResult ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

bool netnsExists(const std::string& name) {
  std::error_code ec;
  return std::filesystem::exists("/run/netns/" + name, ec);
}

bool enterNetns(const std::string& name) {
  const int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

Netns::Netns(const std::string& prefix, NetnsOptions options) {
  static std::atomic<int> count{0};
  name_ = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++count);
  // The kernel reuses process ids (pid_max is often 32768): a run killed before its clean-up
  // may have left a namespace of this name behind.
  testing::ip({"netns", "del", name_});
  auto step = [this](const std::vector<std::string>& argv) {
    if (!error_.empty()) return;
    const auto r = run(argv);
    if (r.exit_code != 0) error_ = failure(argv, r);
  };
  step({"ip", "netns", "add", name_});
  if (!options.ipv6) {
    step(wrap({"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"}));
    step(wrap({"sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"}));
  }
  if (options.loopback_up) step({"ip", "-n", name_, "link", "set", "lo", "up"});
}

Netns::~Netns() { testing::ip({"netns", "del", name_}); }

CommandResult Netns::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"-n", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::ip(argv);
}

std::vector<std::string> Netns::wrap(const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {"ip", "netns", "exec", name_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

CommandResult Netns::exec(const std::vector<std::string>& argv, const RunOptions& options) const {
  return run(wrap(argv), options);
}

bool Netns::sysctl(const std::string& setting) const {
  return exec({"sysctl", "-qw", setting}).exit_code == 0;
}

bool Netns::addr(const std::string& verb, const std::string& a) const {
  return ip({"addr", verb, a + "/32", "dev", "lo"}).exit_code == 0;
}

bool Netns::batch(const std::string& lines) const {
  RunOptions opts;
  opts.stdin_text = lines;
  return run({"ip", "-n", name_, "-batch", "-"}, opts).exit_code == 0;
}

bool Netns::inside(const std::function<void()>& fn) const {
  bool entered = false;
  std::thread t([&] {
    entered = enterNetns(name_);
    if (entered) fn();
  });
  t.join();
  return entered;
}

VethPair::VethPair(VethEnd a, VethEnd b, bool up) : a_(std::move(a)), b_(std::move(b)) {
  for (const VethEnd* end : {&a_, &b_}) {
    if (end->ns != nullptr && !end->ns->ok())
      error_ = "namespace " + end->ns->name() + ": " + end->ns->error();
    // Devices in the test's own namespace outlive a killed run.
    else if (end->ns == nullptr)
      testing::ip({"link", "del", end->dev});
  }
  if (!error_.empty()) return;
  std::vector<std::string> argv = {"ip", "link", "add", a_.dev};
  if (a_.ns != nullptr) argv.insert(argv.end(), {"netns", a_.ns->name()});
  argv.insert(argv.end(), {"type", "veth", "peer", "name", b_.dev});
  if (b_.ns != nullptr) argv.insert(argv.end(), {"netns", b_.ns->name()});
  if (const auto r = run(argv); r.exit_code != 0) {
    error_ = failure(argv, r);
    // Nothing was made: the destructor must not remove a device of the same name.
    a_.dev.clear();
    return;
  }
  if (!up) return;
  for (const VethEnd* end : {&a_, &b_}) {
    const auto set = ipArgs(*end, {"link", "set", end->dev, "up"});
    if (const auto r = run(set); r.exit_code != 0 && error_.empty()) error_ = failure(set, r);
  }
}

VethPair::~VethPair() {
  if (a_.dev.empty()) return;
  // Removing one end removes both; a namespace that went first took its end with it.
  if (a_.ns == nullptr || netnsExists(a_.ns->name())) ipAt(a_, {"link", "del", a_.dev});
  if (b_.ns == nullptr) testing::ip({"link", "del", b_.dev});
}

CommandResult VethPair::ipAt(const VethEnd& end, const std::vector<std::string>& args) {
  return run(ipArgs(end, args));
}

bool VethPair::setLink(const VethEnd& end, bool up) {
  return ipAt(end, {"link", "set", end.dev, up ? "up" : "down"}).exit_code == 0;
}

bool VethPair::waitReady() {
  static const std::regex ready("LOWER_UP[^\n]*qdisc noqueue");
  for (const VethEnd* end : {&a_, &b_}) {
    bool up = false;
    for (int i = 0; i < 250 && !up; ++i) {  // waits for the kernel, at most 5 s
      up = std::regex_search(ipAt(*end, {"link", "show", end->dev}).out, ready);
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!up) {
      if (error_.empty()) error_ = end->dev + " did not come up";
      return false;
    }
  }
  return true;
}

long long VethPair::counter(const VethEnd& end, const std::string& name) {
  // sysfs shows a namespace's devices only to a process that mounted it there, as `ip netns
  // exec` does.
  const std::vector<std::string> cat = {"cat", "/sys/class/net/" + end.dev + "/statistics/" + name};
  const auto r = end.ns != nullptr ? end.ns->exec(cat) : run(cat);
  if (r.exit_code != 0) return -1;
  try {
    return std::stoll(r.out);
  } catch (const std::exception&) {
    return -1;
  }
}

std::string VethPair::linkStats() const {
  std::string out;
  for (const VethEnd* end : {&a_, &b_}) {
    const auto r = ipAt(*end, {"-s", "-s", "link", "show", end->dev});
    out += r.out + r.err;
  }
  return out;
}

VethLink::VethLink(const std::string& prefix, NetnsOptions options, const std::string& near_dev,
                   const std::string& far_dev)
    : near_(prefix + "-n", options),
      far_(prefix + "-f", options),
      pair_({&near_, near_dev}, {&far_, far_dev}) {}

std::string VethLink::error() const {
  if (!near_.ok()) return near_.error();
  if (!far_.ok()) return far_.error();
  return pair_.error();
}

PacketSender::PacketSender(const std::string& ns, const std::string& dev) {
  if (!enterNetns(ns)) {
    error_ = "setns " + ns;
    return;
  }
  fd_ = ::socket(AF_PACKET, SOCK_RAW, 0);
  if (fd_ < 0) {
    error_ = "AF_PACKET socket";
    return;
  }
  to_.sll_family = AF_PACKET;
  to_.sll_ifindex = static_cast<int>(::if_nametoindex(dev.c_str()));
  to_.sll_halen = 6;
}

PacketSender::~PacketSender() {
  if (fd_ >= 0) ::close(fd_);
}

bool PacketSender::send(const void* frame, std::size_t len) {
  return fd_ >= 0 && ::sendto(fd_, frame, len, 0, reinterpret_cast<sockaddr*>(&to_), sizeof(to_)) ==
                         static_cast<ssize_t>(len);
}

std::string sendFrames(const std::string& ns, const std::string& dev,
                       const std::vector<std::uint8_t>& frame, int count,
                       std::chrono::microseconds gap, std::uint64_t& sent) {
  PacketSender out(ns, dev);
  if (!out.error().empty()) return out.error();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    if (gap.count() > 0) std::this_thread::sleep_until(t0 + i * gap);
    if (out.send(frame.data(), frame.size())) ++sent;
  }
  return "";
}

}  // namespace circuitd::testing
