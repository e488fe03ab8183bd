#include "tests/capture/veth_util.hpp"

#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>

namespace circuitd::capture::testing {

int sh(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool enterNs(const std::string& ns) {
  const int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

PacketSender::PacketSender(const std::string& ns, const std::string& dev) {
  if (!enterNs(ns)) {
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

namespace {

// Until link watch has given the device its queueing discipline (it runs under the RTNL lock,
// later when other namespaces are being torn down), frames sent on it are dropped by the
// placeholder "noop" one while send() reports success.
bool linkReady(const std::string& ns, const std::string& dev) {
  for (int i = 0; i < 250; ++i) {  // waits for the kernel, at most 5 s
    if (sh("ip -n " + ns + " link show " + dev + " | grep -q 'LOWER_UP.*qdisc noqueue'") == 0)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

VethPair::VethPair(const std::string& prefix) {
  const std::string id = std::to_string(::getpid());
  ns_tx_ = prefix + "-t-" + id;
  ns_rx_ = prefix + "-r-" + id;
  dev_tx_ = "cpt" + id;
  dev_rx_ = "cpr" + id;
  // Names come from the process id, which the kernel reuses (pid_max is often 32768): a run
  // killed before its clean-up may have left namespaces of the same name behind.
  sh("ip netns del " + ns_tx_);
  sh("ip netns del " + ns_rx_);
  auto step = [this](const std::string& cmd) {
    if (error_.empty() && sh(cmd) != 0) error_ = "failed: " + cmd;
  };
  step("ip netns add " + ns_tx_);
  step("ip netns add " + ns_rx_);
  step("ip link add " + dev_tx_ + " netns " + ns_tx_ + " type veth peer name " + dev_rx_ +
       " netns " + ns_rx_);
  for (const auto& [ns, dev] : {std::pair{ns_tx_, dev_tx_}, std::pair{ns_rx_, dev_rx_}}) {
    step("ip netns exec " + ns + " sysctl -w net.ipv6.conf.all.disable_ipv6=1");
    step("ip netns exec " + ns + " sysctl -w net.ipv6.conf.default.disable_ipv6=1");
    step("ip -n " + ns + " link set lo up");
    step("ip -n " + ns + " link set " + dev + " up");
  }
  for (const auto& [ns, dev] : {std::pair{ns_tx_, dev_tx_}, std::pair{ns_rx_, dev_rx_}})
    if (error_.empty() && !linkReady(ns, dev)) error_ = dev + " did not come up";
}

VethPair::~VethPair() {
  sh("ip netns del " + ns_tx_);
  sh("ip netns del " + ns_rx_);
}

long long VethPair::rxCount(const std::string& counter) const {
  const std::string cmd =
      "ip netns exec " + ns_rx_ + " cat /sys/class/net/" + dev_rx_ + "/statistics/" + counter;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return -1;
  long long v = -1;
  if (std::fscanf(f, "%lld", &v) != 1) v = -1;
  ::pclose(f);
  return v;
}

std::string VethPair::linkStats() const {
  std::string out;
  for (const auto& [ns, dev] : {std::pair{ns_tx_, dev_tx_}, std::pair{ns_rx_, dev_rx_}}) {
    FILE* f = ::popen(("ip -n " + ns + " -s -s link show " + dev + " 2>&1").c_str(), "r");
    if (!f) continue;
    char buf[512];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    ::pclose(f);
  }
  return out;
}

}  // namespace circuitd::capture::testing
