#pragma once
// Internal to circuitd_snmp: net-snmp's single-session API driven by an Asio io_context.
// The session's socket is watched with posix::stream_descriptor::async_wait and its timeouts
// with a steady_timer (as chrony's scheduler takes file handlers); nothing blocks the loop.
// Included only by this library's .cpp files.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"
#include "probes/snmp/varbind.hpp"

struct snmp_pdu;
struct snmp_session;

namespace circuitd::snmp::detail {

/// Initialises net-snmp once per process: no config files, no persistent state, no MIBs.
void ensureNetSnmp();

/// Converts a net-snmp varbind list.
std::vector<VarBind> toVarBinds(const snmp_pdu* pdu);

/// Applies v2c/v3 credentials to a session being opened; errors name the bad field.
Result<void> applyCredentials(snmp_session& s, const SnmpCredentials& c);

/// Outcome of one request attempt.
struct Reply {
  enum class Status { Ok, Timeout, AuthFailure, Error };
  Status status = Status::Error;
  std::string error;  ///< empty when Ok
  long errstat = 0;   ///< SNMP error-status of a Response
  long errindex = 0;
  std::vector<VarBind> varbinds;
  std::string engine_id;  ///< authoritative engine ID carried by a v3 reply or report
};

/// One client session to one agent.
class AsyncSession : public std::enable_shared_from_this<AsyncSession> {
 public:
  using Handler = std::function<void(Reply&&)>;

  /// Opens a UDP session to host:port. For v3 the engine ID is discovered asynchronously by
  /// `discover` (net-snmp's own probe at open time would block the loop).
  static Result<std::shared_ptr<AsyncSession>> open(boost::asio::io_context& io,
                                                    const std::string& host, std::uint16_t port,
                                                    const SnmpCredentials& creds,
                                                    std::chrono::milliseconds timeout);
  ~AsyncSession();
  AsyncSession(const AsyncSession&) = delete;
  AsyncSession& operator=(const AsyncSession&) = delete;

  /// True when requests can be sent (v2c, or v3 with a known engine ID).
  bool ready() const;
  /// v3 engine ID discovery (RFC 3414 section 4): one unauthenticated probe, one attempt.
  void discover(Handler h);
  /// GET of exact instances, one attempt.
  void get(const std::vector<Oid>& oids, Handler h);
  /// GETBULK from `start`, one attempt.
  void getBulk(const Oid& start, int max_repetitions, Handler h);
  /// Sets the per-attempt timeout used by later requests.
  void setTimeout(std::chrono::milliseconds t);
  /// Closes the socket; outstanding handlers are dropped without being called.
  void close();
  /// Number of requests sent and not yet answered or timed out.
  std::size_t outstanding() const { return handlers_.size(); }

 private:
  AsyncSession(boost::asio::io_context& io);
  void send(snmp_pdu* pdu, Handler h);
  void armRead();
  void armTimer();
  void onReadable();
  void closeNow();
  static int callback(int op, snmp_session* s, int reqid, snmp_pdu* pdu, void* magic);

  boost::asio::io_context& io_;
  void* sp_ = nullptr;
  bool is_v3_ = false;
  bool closed_ = false;
  bool reading_ = false;
  int in_library_ = 0;  ///< inside snmp_sess_read2/timeout: closing must wait until they return
  std::unique_ptr<boost::asio::posix::stream_descriptor> sd_;
  boost::asio::steady_timer timer_;
  std::unordered_map<int, Handler> handlers_;
};

}  // namespace circuitd::snmp::detail
