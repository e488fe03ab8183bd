#pragma once
// IcmpProber: the thin transport around icmp_codec. One ICMP socket per address family for all
// targets, on the caller's io_context; sends spread by SendScheduler and batched with sendmmsg,
// replies read with recvmmsg and matched by identifier, sequence and payload token. Emits one
// ReachSample per probe (reply, timeout or ICMP error) through a callback.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "domain/core/observation.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace boost::asio {
class io_context;
}

namespace circuitd::icmp {

/// Which kind of ICMP socket to open.
enum class SocketMode {
  Auto,      ///< unprivileged datagram socket when ping_group_range allows, else raw
  Datagram,  ///< SOCK_DGRAM/IPPROTO_ICMP only (Linux "ping sockets")
  Raw,       ///< SOCK_RAW only (needs CAP_NET_RAW)
};

/// When replies are read.
enum class ReplyReading {
  /// Read at every send tick while ticks are frequent (the kernel's arrival stamp keeps the RTT
  /// exact), and wake on readiness only when no tick is due within kLazyReadHorizon.
  Lazy,
  /// Wake on readiness for every reply (one more wake-up per probe at high rates).
  OnReadiness,
};

/// Longest a reply waits in the socket for the next tick before the prober wakes on readiness
/// instead: the latency of a sample's delivery (not of its RTT) in ReplyReading::Lazy.
inline constexpr std::chrono::milliseconds kLazyReadHorizon{10};

/// Prober-wide settings.
struct ProberOptions {
  SocketMode mode = SocketMode::Auto;
  std::size_t payload_size = 56;  ///< ICMP payload bytes (>= 16), as ping
  /// Scheduler tick: sends are batched per tick. 0 = automatic: 8 / rate clamped to 1..10 ms
  /// (1 ms at 4,000 probes/s and above, a few probes per tick below); see SendScheduler.
  std::chrono::microseconds send_quantum{0};
  ReplyReading reply_reading = ReplyReading::Lazy;
  int receive_buffer_bytes = 4 << 20;   ///< SO_RCVBUF(FORCE) for bursts of replies
  std::size_t max_targets_hint = 1024;  ///< pre-sizes tables (grows if exceeded)
};

/// Per-target settings.
struct TargetOptions {
  Duration interval{std::chrono::seconds{1}};  ///< 1 s for critical circuits, longer for others
  Duration timeout{std::chrono::seconds{1}};   ///< a probe unanswered this long is lost
  std::uint64_t max_probes = 0;                ///< stop after this many probes; 0 = forever
};

/// Counters since start.
struct ProberStats {
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t icmp_errors = 0;  ///< destination unreachable / time exceeded received
  std::uint64_t send_errors = 0;
  std::uint64_t ignored = 0;       ///< foreign, late, duplicate or malformed packets
  std::uint64_t send_calls = 0;    ///< sendmmsg system calls
  std::uint64_t recv_calls = 0;    ///< recvmmsg system calls
  std::uint64_t ticks = 0;         ///< timer wake-ups (sends, lazy reads, timeouts)
  std::uint64_t read_wakeups = 0;  ///< wake-ups on socket readiness
  std::uint64_t late = 0;          ///< probes sent more than one quantum after their due time
  std::uint64_t skipped = 0;       ///< rounds skipped after a stall longer than the interval
  std::int64_t max_lateness_ns = 0;
  std::size_t largest_tick = 0;      ///< most probes sent by one tick
  std::int64_t send_quantum_ns = 0;  ///< the tick in use now
  std::size_t burst_bound = 0;       ///< most probes one tick may send now (SendScheduler)
};

/// How the sockets were opened, for logs and `circuitctl ping`.
struct SocketInfo {
  bool v4_open = false;
  bool v6_open = false;
  bool v4_raw = false;  ///< raw (true) or datagram (false)
  bool v6_raw = false;
  std::string v6_error;  ///< why IPv6 is unavailable, when it is
};

/// ICMP echo prober for many targets on one io_context (single-threaded use).
class IcmpProber {
 public:
  /// Receives every probe result; the sample reference is valid during the call only. The
  /// callback may add or remove targets and may call stop().
  using Callback = std::function<void(const ReachSample&)>;
  /// Observes each tick that sends (monotonic ns after its sends, probes it sent), for the
  /// benchmark and the tests.
  using SendObserver = std::function<void(std::int64_t mono_ns, std::size_t count)>;

  /// clock stamps ReachSample::time (send time); RTTs use the monotonic clock.
  IcmpProber(boost::asio::io_context& io, const Clock& clock, Callback on_sample,
             ProberOptions options = {});
  ~IcmpProber();
  IcmpProber(const IcmpProber&) = delete;
  IcmpProber& operator=(const IcmpProber&) = delete;

  /// Opens the sockets. Fails with an explanation when no IPv4 ICMP socket can be opened
  /// (neither CAP_NET_RAW for raw nor net.ipv4.ping_group_range for datagram sockets).
  Result<void> start();
  /// Cancels timers and reads and closes the sockets; outstanding probes are not reported.
  void stop();

  /// Adds an IPv4 or IPv6 literal. Fails on a bad literal, a duplicate, or a family whose socket
  /// could not be opened. Usable before or after start(), e.g. on configuration reload.
  Result<void> addTarget(const std::string& address, TargetOptions options = {});
  /// Removes a target; its outstanding probes are forgotten. False when unknown.
  bool removeTarget(const std::string& address);
  /// Number of targets.
  std::size_t targetCount() const;

  /// Counters since start.
  ProberStats stats() const;
  /// How the sockets were opened.
  SocketInfo socketInfo() const;
  /// Installs a batch observer (benchmark only; empty to remove).
  void setSendObserver(SendObserver observer);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // handlers hold weak references: safe after destruction
};

}  // namespace circuitd::icmp
