#pragma once
// Internal to circuitd_snmp: the v2c GET transport. One non-blocking UDP socket per address
// family shared by every v2c device of a poller; requests are pre-encoded datagrams
// (ber.hpp) with only the request-id patched; replies are drained with recvmmsg on each
// wake-up and matched by request-id, source address and port and community; one timer holds
// the earliest deadline of a heap of all outstanding requests. Nothing here allocates per
// request once the tables have grown to the working size.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/result.hpp"
#include "probes/snmp/ber.hpp"
#include "probes/snmp/poller.hpp"

namespace circuitd::snmp::detail {

/// An agent's UDP address.
struct Peer {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

/// The peer for an IPv4 or IPv6 literal; an error for a host name (those use net-snmp).
Result<Peer> numericPeer(const std::string& host, std::uint16_t port);

/// True when a datagram's source is the peer (family, address and port).
bool samePeer(const sockaddr_storage& from, socklen_t from_len, const Peer& peer);

class V2cTransport : public std::enable_shared_from_this<V2cTransport> {
 public:
  /// Receives the outcome of each request, identified by the caller's tag.
  struct Listener {
    virtual ~Listener() = default;
    /// A Response that matched request-id, source and community. `r` points into the receive
    /// buffer and is valid during the call only.
    virtual void onResponse(std::uintptr_t tag, const ResponseView& r) = 0;
    virtual void onTimeout(std::uintptr_t tag) = 0;
  };

  /// Drops are counted in `drops` (PollerStats::dropped).
  V2cTransport(boost::asio::io_context& io, Listener& listener, ReplyDrops& drops);
  ~V2cTransport();
  V2cTransport(const V2cTransport&) = delete;
  V2cTransport& operator=(const V2cTransport&) = delete;

  /// Opens the socket for the peer's family (once); errors name the system call.
  Result<void> openFor(const Peer& peer);
  /// Queues `req` to `peer` with a fresh request-id (patched into req, which must stay alive
  /// and unchanged until flush()). `community` must outlive the request. Returns the id.
  std::int32_t send(const Peer& peer, EncodedRequest& req, std::string_view community,
                    std::chrono::steady_clock::duration timeout, std::uintptr_t tag);
  /// Sends what send() queued, with one sendmmsg per family.
  void flush();
  /// Forgets an outstanding request: a late reply is dropped as unknown, no timeout is reported.
  void cancel(std::int32_t request_id);
  /// Closes the sockets and forgets every request without reporting them.
  void close();
  /// Requests sent and neither answered, timed out nor cancelled.
  std::size_t outstanding() const { return active_; }
  /// Datagrams that sendmmsg did not take (they time out and are retried like lost ones).
  std::uint64_t sendErrors() const { return send_errors_; }
  /// Read wake-ups (readiness events drained) and datagrams received, for the benchmark.
  std::uint64_t readWakeups() const { return read_wakeups_; }
  std::uint64_t datagramsReceived() const { return datagrams_; }

 private:
  struct Pending {
    std::int32_t request_id = 0;
    std::uint8_t generation = 0;
    bool active = false;
    Peer peer;
    std::string_view community;
    std::uintptr_t tag = 0;
  };
  struct Socket {
    int fd = -1;
    std::unique_ptr<boost::asio::posix::stream_descriptor> sd;
    bool reading = false;
    std::vector<::mmsghdr> out;  ///< queued sends
    std::vector<::iovec> out_iov;
  };
  using Deadline = std::pair<std::chrono::steady_clock::time_point, std::int32_t>;

  Socket& socketFor(int family) { return family == AF_INET6 ? v6_ : v4_; }
  Pending* find(std::int32_t request_id);
  void release(Pending& p);
  void armRead(Socket& s);
  void drain(Socket& s);
  void handleDatagram(const std::uint8_t* data, std::size_t size, bool truncated,
                      const sockaddr_storage& from, socklen_t from_len);
  void armTimer();
  void onTimer();
  void flushSocket(Socket& s);

  boost::asio::io_context& io_;
  Listener& listener_;
  ReplyDrops& drops_;
  Socket v4_, v6_;
  std::deque<Pending> slots_;  ///< stable addresses: queued sends point at their peer
  std::vector<std::uint32_t> free_;
  std::size_t active_ = 0;
  std::vector<Deadline> heap_;  ///< min-heap on deadline; entries of answered requests are skipped
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point armed_at_ = std::chrono::steady_clock::time_point::max();
  std::uint64_t send_errors_ = 0;
  std::uint64_t read_wakeups_ = 0;
  std::uint64_t datagrams_ = 0;
  // recvmmsg buffers, allocated once.
  std::vector<std::uint8_t> rx_;
  std::vector<::mmsghdr> rx_msgs_;
  std::vector<::iovec> rx_iov_;
  std::vector<sockaddr_storage> rx_from_;
  bool closed_ = false;
};

}  // namespace circuitd::snmp::detail
