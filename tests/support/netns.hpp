#pragma once
// Network namespaces and veth pairs made by a test, so probes, captures and the daemon see real
// interfaces that come and go without touching the host's network. All of it needs root and
// iproute2's `ip`; a test that uses it fails (it does not skip) without them. Everything is
// removed on destruction; names carry the test's pid, and what a killed run with the same pid
// left behind is removed before it is made again.
#include <linux/if_packet.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace circuitd::testing {

/// Runs `ip args...` in the test's own namespace.
CommandResult ip(const std::vector<std::string>& args);

/// True when a namespace of that name exists (/run/netns/<name>).
bool netnsExists(const std::string& name);

/// Moves the calling thread into the network namespace /run/netns/<name>; sockets it opens
/// afterwards live there.
bool enterNetns(const std::string& name);

/// How a Netns is set up.
struct NetnsOptions {
  /// A fresh namespace's loopback is down, which leaves it no route at all.
  bool loopback_up = true;
  /// false: IPv6 off, so its links stay silent (no router solicitations, no neighbour
  /// discovery).
  bool ipv6 = true;
};

/// A network namespace made by the test, removed on destruction.
class Netns {
 public:
  /// Named "<prefix>-<pid>-<n>": a fresh name per use in one process, since the kernel frees a
  /// deleted namespace later.
  explicit Netns(const std::string& prefix, NetnsOptions options = {});
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  /// True when the namespace was made as asked.
  bool ok() const { return error_.empty(); }
  /// "" when ok(), else the step that failed and what it printed.
  const std::string& error() const { return error_; }
  /// The namespace's name.
  const std::string& name() const { return name_; }

  /// Runs `ip -n <name> args...`.
  CommandResult ip(const std::vector<std::string>& args) const;
  /// argv prefixed with `ip netns exec <name>`, which execs it there: the pid, exit status and
  /// signals are the program's own (for Process).
  std::vector<std::string> wrap(const std::vector<std::string>& argv) const;
  /// Runs argv inside the namespace.
  CommandResult exec(const std::vector<std::string>& argv, const RunOptions& options = {}) const;
  /// `sysctl -qw <setting>` inside the namespace ("net.ipv4.icmp_echo_ignore_all=1").
  bool sysctl(const std::string& setting) const;
  /// `ip addr <verb> <a>/32 dev lo` in the namespace: a probe target that answers or falls
  /// silent.
  bool addr(const std::string& verb, const std::string& a) const;
  /// Runs `ip -n <name> -batch -` over the given lines (one ip command each).
  bool batch(const std::string& lines) const;
  /// Runs fn on a thread that entered the namespace (sockets it makes live there); false when
  /// the namespace could not be entered.
  bool inside(const std::function<void()>& fn) const;

 private:
  std::string name_;
  std::string error_;
};

/// One end of a veth pair: its device name and the namespace it is in (nullptr: the test's own).
struct VethEnd {
  const Netns* ns = nullptr;  ///< the namespace it is in; nullptr: the test's own
  std::string dev;            ///< its device name
};

/// A veth pair between two namespaces (or one and the test's own), removed on destruction; the
/// namespaces must outlive it.
class VethPair {
 public:
  /// Creates a <-> b, and brings both ends up unless `up` is false. An end in the test's own
  /// namespace with the same name, left by a killed run, is removed first.
  VethPair(VethEnd a, VethEnd b, bool up = true);
  ~VethPair();
  VethPair(const VethPair&) = delete;
  VethPair& operator=(const VethPair&) = delete;

  /// True when the pair was made as asked.
  bool ok() const { return error_.empty(); }
  /// "" when ok(), else the step that failed.
  const std::string& error() const { return error_; }
  /// The first end.
  const VethEnd& a() const { return a_; }
  /// The second end.
  const VethEnd& b() const { return b_; }
  /// Runs `ip [-n <ns>] args...` for the namespace `end` is in.
  static CommandResult ipAt(const VethEnd& end, const std::vector<std::string>& args);
  /// `ip link set <dev> up|down` for one end.
  static bool setLink(const VethEnd& end, bool up);
  /// Waits (at most 5 s) until both ends are up with their queueing discipline: until link
  /// watch has given a device its qdisc, frames sent on it are dropped while send() reports
  /// success. False with error() set when one did not come up.
  bool waitReady();
  /// A counter of `end` as the kernel keeps it (statistics/rx_packets, ...); -1 when it cannot
  /// be read.
  static long long counter(const VethEnd& end, const std::string& name);
  /// Both ends' kernel statistics (drops included), for failure messages.
  std::string linkStats() const;

 private:
  VethEnd a_, b_;
  std::string error_;
};

/// Two namespaces of their own joined by a veth pair, both ends up: the near end's namespace
/// sends, the far end's receives. Names "<prefix>-n-<pid>-<n>" and "<prefix>-f-<pid>-<n>".
class VethLink {
 public:
  /// Makes both namespaces (with `options`) and the pair between them; the device names are
  /// only seen inside the namespaces.
  explicit VethLink(const std::string& prefix, NetnsOptions options = {},
                    const std::string& near_dev = "veth0", const std::string& far_dev = "veth1");
  VethLink(const VethLink&) = delete;
  VethLink& operator=(const VethLink&) = delete;

  /// "" when the link is ready, else what failed first.
  std::string error() const;
  /// The sending side's namespace.
  const Netns& near() const { return near_; }
  /// The receiving side's namespace.
  const Netns& far() const { return far_; }
  /// The near end's device.
  const std::string& nearDev() const { return pair_.a().dev; }
  /// The far end's device.
  const std::string& farDev() const { return pair_.b().dev; }
  /// The pair itself (readiness, counters, statistics).
  VethPair& pair() { return pair_; }
  /// The pair itself.
  const VethPair& pair() const { return pair_; }

 private:
  Netns near_, far_;
  VethPair pair_;
};

/// A packet socket that sends whole frames out of `dev` in namespace `ns` (it moves the calling
/// thread there).
class PacketSender {
 public:
  /// Enters `ns` on the calling thread and opens the socket on `dev`.
  PacketSender(const std::string& ns, const std::string& dev);
  ~PacketSender();
  PacketSender(const PacketSender&) = delete;
  PacketSender& operator=(const PacketSender&) = delete;
  /// "" when frames can be sent, else what failed.
  const std::string& error() const { return error_; }
  /// True when the whole frame was handed to the device.
  bool send(const void* frame, std::size_t len);

 private:
  int fd_ = -1;
  sockaddr_ll to_{};
  std::string error_;
};

/// Sends `count` copies of `frame` out of `dev` in namespace `ns` (on the calling thread, which
/// it moves there), one every `gap` (zero: as fast as the socket takes them) on an absolute
/// schedule; counts the frames sent in `sent`; "" or what went wrong.
std::string sendFrames(const std::string& ns, const std::string& dev,
                       const std::vector<std::uint8_t>& frame, int count,
                       std::chrono::microseconds gap, std::uint64_t& sent);

}  // namespace circuitd::testing
