#pragma once
// TrapReceiver: a UDP trap and inform listener on the Asio loop (net-snmp single session).
// v2c communities and v3 USM users; informs are acknowledged. Each recognised notification
// becomes a TrapEvent with the device resolved from the source address (a lookup callback)
// and the interface name from the ifIndex when the lookup knows it.
#include <cstdint>
#include <functional>
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

/// A v3 user allowed to send notifications.
struct TrapUser {
  SnmpCredentials credentials;  ///< user, auth and priv (version is ignored)
  /// Hex engine ID of the sending device for traps ("0x8000..." or "8000..."); empty means the
  /// receiver's own engine ID, which is what informs use.
  std::string engine_id;
};

/// Receiver settings.
struct TrapReceiverConfig {
  std::string address = "0.0.0.0";       ///< listen address
  std::uint16_t port = 162;              ///< 0 picks a free port (tests)
  std::vector<std::string> communities;  ///< accepted v2c communities; empty accepts none
  std::vector<TrapUser> users;
  std::vector<std::shared_ptr<const VendorProfile>> profiles;  ///< vendor traps by OID
};

/// Counters for metrics.
struct TrapStats {
  std::uint64_t received = 0;
  std::uint64_t informs_acked = 0;
  std::uint64_t rejected_community = 0;
  std::uint64_t malformed = 0;
};

/// Listens for traps and informs.
class TrapReceiver {
 public:
  using Sink = std::function<void(Observation)>;
  /// Source IP -> device name, or nullopt when unknown (the event then carries the address).
  using DeviceLookup = std::function<std::optional<std::string>(const std::string& ip)>;
  /// (device, ifIndex) -> interface name when the poller knows it.
  using IfNameLookup =
      std::function<std::optional<std::string>(const std::string& device, std::int32_t)>;

  TrapReceiver(boost::asio::io_context& io, const Clock& clock, TrapReceiverConfig cfg, Sink sink,
               DeviceLookup devices = {}, IfNameLookup if_names = {});
  ~TrapReceiver();
  TrapReceiver(const TrapReceiver&) = delete;
  TrapReceiver& operator=(const TrapReceiver&) = delete;

  /// Binds the socket and registers the v3 users; errors say which address or user failed.
  Result<void> start();
  /// The bound UDP port (after start).
  std::uint16_t port() const;
  /// Closes the socket.
  void stop();
  /// Counters since construction.
  const TrapStats& stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace circuitd::snmp
