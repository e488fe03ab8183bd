#pragma once
// What an active throughput test is asked to do, the guard that refuses unsafe plans, and the
// pure arithmetic that turns per-packet timestamps into a report. No sockets, no clock.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"
#include "domain/core/result.hpp"

namespace circuitd::throughput {

/// IPv4 + UDP header octets added to each test payload when rates are stated at the IP layer.
inline constexpr std::size_t kIpv4UdpOverhead = 28;
/// IPv6 + UDP header octets.
inline constexpr std::size_t kIpv6UdpOverhead = 48;

/// An active test to run.
struct TestPlan {
  std::string host;  ///< reflector address (IPv4/IPv6 literal or name)
  std::uint16_t port = 862;
  double rate_bps = 0;             ///< offered rate at the IP layer
  double seconds = 5;              ///< sending time
  std::size_t packet_size = 1400;  ///< UDP payload octets (TWAMP header + padding), >= 41
  double drain_seconds = 1.0;      ///< how long to wait for late replies after the last send
  /// Packets per back-to-back train; 1 paces evenly. With trains the report also carries a
  /// bottleneck capacity estimate from the dispersion of each train at the reflector, so a
  /// low average rate can estimate the line's capacity without filling it.
  std::size_t train_length = 1;
  std::string circuit;  ///< circuit key, when the test is for a configured circuit
};

/// Limits the guard enforces.
struct TestLimits {
  std::optional<double> contracted_bps;  ///< the circuit's contracted rate, when known
  double max_seconds = 60;               ///< configured maximum duration
  double max_rate_bps = 1e9;             ///< absolute cap for one-shot tests with no circuit
};

/// Refuses a plan that exceeds the contracted rate, the maximum duration or sane sizes.
Result<void> checkPlan(const TestPlan& plan, const TestLimits& limits);

/// Builds a plan for a configured circuit: rate = contracted bandwidth, reflector from its
/// `reflector` key ("addr:port", "[v6]:port" or bare address for port 862).
Result<TestPlan> planForCircuit(const Circuit& c, double seconds);

/// Parses "20M", "1.5G", "800k", "2000000" (bits per second; suffixes are powers of 1000).
Result<double> parseRate(const std::string& text);

/// Host and port parsed from "addr", "addr:port", "[v6]" or "[v6]:port".
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
/// Parses an address with optional port; `default_port` applies when none is given.
Result<HostPort> parseHostPort(const std::string& text, std::uint16_t default_port);

/// What the sender learnt about one test packet (times in nanoseconds; sender times on the
/// sender's clock, reflector times on the reflector's clock).
struct PacketRecord {
  bool sent = false;
  bool replied = false;
  std::int64_t t1_ns = 0;  ///< sender transmit
  std::int64_t t2_ns = 0;  ///< reflector receive
  std::int64_t t3_ns = 0;  ///< reflector transmit
  std::int64_t t4_ns = 0;  ///< sender receive
  std::uint32_t reflector_seq = 0;
  std::uint8_t ttl = 0;
  double reflector_error_s = 0;  ///< reflector's stated timestamp error
};

/// Outcome of an active test.
struct TestReport {
  std::string circuit;
  std::string target;           ///< "host:port"
  std::size_t packet_size = 0;  ///< UDP payload
  std::size_t wire_size = 0;    ///< IP-layer octets per packet
  double offered_bps = 0;       ///< planned rate
  double seconds = 0;
  std::uint64_t sent = 0;
  std::uint64_t reflected = 0;  ///< packets the reflector handled (from its sequence numbers)
  std::uint64_t returned = 0;   ///< replies received by the sender
  std::uint64_t duplicates = 0;
  std::uint64_t invalid_replies = 0;  ///< malformed or not ours
  std::string send_error;             ///< last socket error while sending, e.g. an ICMP port
                                      ///< unreachable reported as "Connection refused"
  double sent_bps = 0;                ///< achieved sending rate
  double reflector_rx_bps = 0;        ///< rate received at the reflector (its T2 timestamps)
  double returned_bps = 0;            ///< rate of replies received back (T4 timestamps)
  double forward_loss = 0;            ///< ratio 0..1, sender -> reflector
  double reverse_loss = 0;            ///< ratio 0..1, reflector -> sender
  std::optional<double> rtt_min_ms, rtt_avg_ms, rtt_max_ms;
  std::optional<double> jitter_ms;  ///< mean |RTT(i) - RTT(i-1)| of consecutive replies (IPDV)
  std::optional<int> hops;          ///< 255 - TTL seen at the reflector (sender sends TTL 255)
  double timestamp_error_ms = 0;    ///< stated error of the timestamps (sender + reflector)
  std::size_t train_length = 1;
  std::size_t trains_used = 0;               ///< trains that arrived whole at the reflector
  std::optional<double> capacity_bps;        ///< median of per-train dispersion estimates
  std::optional<double> capacity_error_bps;  ///< stated error: interquartile spread + timestamps
};

/// Computes the report from per-sequence records. `wire_size` is the IP-layer packet size.
TestReport computeReport(const TestPlan& plan, std::size_t wire_size,
                         const std::vector<PacketRecord>& records);

/// The report as the engine's ThroughputSample (source ActiveTest, in = reflector receive rate,
/// out = returned rate).
ThroughputSample toSample(const TestReport& r, TimePoint time);

/// Human-readable multi-line summary.
std::string formatReport(const TestReport& r);

/// "20.00 Mbit/s" style rate text.
std::string formatRate(double bps);

}  // namespace circuitd::throughput
