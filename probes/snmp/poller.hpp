#pragma once
// SnmpPoller: polls carrier edge devices with net-snmp's asynchronous single-session API on
// one boost::asio::io_context (no thread per device, nothing blocking on the loop) and pushes
// DevicePoll and InterfaceSample observations through a callback. It knows nothing of faults.
//
// Per round and device: resolve the configured interface names to ifIndex with GETBULK walks
// of the name column (at start, after a reboot, when an index moved), then GET the exact
// instances needed (sysUpTime.0 + ten IF-MIB columns + the name check + profile metrics) in
// PDUs that each start with sysUpTime.0. See docs/snmp.md.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"
#include "probes/snmp/profile.hpp"

namespace boost::asio {
class io_context;
}

namespace circuitd::snmp {

/// Caps and tuning shared by all devices of a poller.
struct PollerLimits {
  std::size_t max_in_flight_per_device = 2;  ///< requests outstanding to one agent
  std::size_t max_in_flight_total = 512;     ///< requests outstanding overall
  std::size_t max_varbinds_per_pdu = 48;     ///< GET size; larger rounds use several PDUs
  int bulk_repetitions = 25;                 ///< GETBULK max-repetitions for name walks
  Duration max_attempt_timeout{std::chrono::seconds(30)};  ///< backoff ceiling
  bool spread_start = true;  ///< first round at a random offset in the interval
  /// Rounds start on multiples of this (0: exactly when due). Devices due in the same slot
  /// leave together, which saves timer wake-ups and batches their sends; starts stay spread
  /// over the interval at this resolution.
  Duration start_grid{std::chrono::milliseconds(100)};
};

/// One device to poll: the runtime builds it from a Device and the Circuits on it.
struct PollTarget {
  std::string device;   ///< Device::name
  std::string address;  ///< IP literal or host name
  std::uint16_t port = 161;
  SnmpCredentials credentials;
  IfNameSource name_source = IfNameSource::IfName;
  std::vector<std::string> interfaces;            ///< UNI and uplink names as configured
  std::map<std::string, double> contracted_mbps;  ///< per interface name, for utilisation
  std::shared_ptr<const VendorProfile> profile;   ///< may be null
  Duration interval{std::chrono::seconds(30)};
  Duration timeout{std::chrono::seconds(2)};  ///< first attempt; doubles per retry
  int retries = 2;
};

/// v2c datagrams received on the GET socket and dropped, by reason. None is ever fatal to a
/// round or accepted as an answer; the request they claimed to answer keeps waiting.
struct ReplyDrops {
  std::uint64_t malformed = 0;        ///< not BER a Response can be read from, or truncated
  std::uint64_t wrong_version = 0;    ///< a message other than SNMPv2c
  std::uint64_t not_response = 0;     ///< a PDU other than Response (e.g. a GetRequest)
  std::uint64_t unknown_request = 0;  ///< request-id not outstanding (late, duplicate or forged)
  std::uint64_t wrong_source = 0;     ///< request-id outstanding to another address or port
  std::uint64_t wrong_community = 0;  ///< community differs from the device's
  std::uint64_t total() const {
    return malformed + wrong_version + not_response + unknown_request + wrong_source +
           wrong_community;
  }
};

/// Counters for metrics and the benchmark.
struct PollerStats {
  std::uint64_t rounds = 0;    ///< completed device rounds
  std::uint64_t requests = 0;  ///< PDUs sent (retries included)
  std::uint64_t retries = 0;
  std::uint64_t timeouts = 0;  ///< attempts that timed out
  std::uint64_t auth_failures = 0;
  std::uint64_t varbinds = 0;       ///< varbinds received in responses
  std::uint64_t resolutions = 0;    ///< name resolutions run
  std::uint64_t overruns = 0;       ///< rounds skipped because the previous one still ran
  std::uint64_t queued_max = 0;     ///< largest number of requests waiting for a slot
  std::uint64_t max_in_flight = 0;  ///< most requests outstanding at once, all devices
  std::uint64_t send_errors = 0;    ///< v2c GET datagrams the kernel refused (then retried)
  std::uint64_t read_wakeups = 0;   ///< v2c socket readiness wake-ups
  std::uint64_t datagrams = 0;      ///< v2c datagrams received (accepted or dropped)
  ReplyDrops dropped;               ///< v2c GET replies dropped
  std::uint64_t stale_replies = 0;  ///< net-snmp outcomes for a round that had already ended
};

/// Reports the duration of each completed device round (first send to last reply).
using RoundObserver = std::function<void(const std::string& device, std::chrono::microseconds)>;

/// Reports a device's configured interface names by the ifIndex its agent gave them (what a
/// trap's ifIndex refers to), after a name resolution that changed them: never per round.
using ResolutionObserver =
    std::function<void(const std::string& device, const std::map<std::int32_t, std::string>&)>;

/// Polls many devices periodically on one io_context.
class SnmpPoller {
 public:
  /// Where observations go (the engine's queue in the daemon, a printer in circuitctl).
  using Sink = std::function<void(Observation)>;

  /// `clock` stamps every sample; `io` must outlive the poller.
  SnmpPoller(boost::asio::io_context& io, const Clock& clock, Sink sink, PollerLimits limits = {});
  ~SnmpPoller();
  SnmpPoller(const SnmpPoller&) = delete;
  SnmpPoller& operator=(const SnmpPoller&) = delete;

  /// Adds a device; errors name the bad field (credentials, address, empty interface list).
  Result<void> addDevice(PollTarget target);
  /// Removes a device and cancels its requests.
  void removeDevice(const std::string& device);
  /// Starts periodic polling of every device (spread over the first interval).
  void start();
  /// Cancels timers and closes sessions so that io_context::run() can return.
  void stop();
  /// Runs one round of `device` now; `done` is called after its observations were emitted.
  void pollNow(const std::string& device, std::function<void(const DevicePoll&)> done);
  /// Names configured for `device` that its agent did not have at the last resolution.
  std::vector<std::string> missingInterfaces(const std::string& device) const;
  /// Counters since construction.
  const PollerStats& stats() const;
  /// Called after every completed round, e.g. to measure latency.
  void setRoundObserver(RoundObserver obs);
  /// Called when a resolution of a device found other ifIndex/name pairs than the last one
  /// (the first non-empty one included); a removed device is not reported.
  void setResolutionObserver(ResolutionObserver obs);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace circuitd::snmp
