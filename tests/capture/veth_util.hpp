#pragma once
// A veth pair between two network namespaces the test makes, and frames sent into it with a
// packet socket: the real interface a live capture reads. Needs root and `ip`.
#include <linux/if_packet.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace circuitd::capture::testing {

/// Runs a shell command with its output discarded; its exit status.
int sh(const std::string& cmd);

/// Moves the calling thread into the network namespace /run/netns/<ns>.
bool enterNs(const std::string& ns);

/// A packet socket that sends whole frames out of `dev` in namespace `ns` (it moves the calling
/// thread there).
class PacketSender {
 public:
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

/// Two namespaces "<prefix>-t-<pid>" and "<prefix>-r-<pid>" joined by a veth pair, IPv6 off (no
/// router solicitations), both ends up with their queueing discipline; removed on destruction.
class VethPair {
 public:
  explicit VethPair(const std::string& prefix);
  ~VethPair();
  VethPair(const VethPair&) = delete;
  VethPair& operator=(const VethPair&) = delete;

  /// "" when the pair is ready, else what failed.
  const std::string& error() const { return error_; }
  const std::string& nsTx() const { return ns_tx_; }
  const std::string& nsRx() const { return ns_rx_; }
  const std::string& devTx() const { return dev_tx_; }
  const std::string& devRx() const { return dev_rx_; }
  /// A counter of the receiving end as the kernel keeps it (statistics/rx_packets, ...); -1
  /// when it cannot be read.
  long long rxCount(const std::string& counter) const;
  /// Both ends' kernel statistics (drops included), for failure messages.
  std::string linkStats() const;

 private:
  std::string ns_tx_, ns_rx_, dev_tx_, dev_rx_, error_;
};

}  // namespace circuitd::capture::testing
