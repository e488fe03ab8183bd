#pragma once
// The HTTP server: Boost.Beast sessions on the daemon's io_context (same thread as the engine,
// so the snapshot provider reads the engine without locks). Read-only; Beast handles keep-alive.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "daemon/http/router.hpp"
#include "domain/core/result.hpp"

namespace circuitd::http {

struct ServerState;

/// Limits that keep a client from holding memory or a socket.
struct ServerLimits {
  std::uint32_t header_limit = 8 * 1024;          ///< request header bytes
  std::uint64_t body_limit = 8 * 1024;            ///< request body bytes
  std::chrono::milliseconds idle_timeout{10000};  ///< per read or write
  std::size_t max_connections = 64;               ///< further accepts get a 503 and are closed
};

/// Serves the router over TCP.
class Server {
 public:
  /// Snapshot of the daemon's state; called on the loop thread per request.
  using SnapshotFn = std::function<Snapshot()>;
  /// Builds the server; nothing listens until start().
  Server(boost::asio::io_context& io, SnapshotFn snapshot, ServerLimits limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds host:port (port 0 picks a free one) and starts accepting; an error when the bind fails.
  Result<void> start(const std::string& host, std::uint16_t port);
  /// The bound port (after start()).
  std::uint16_t port() const;
  /// Stops accepting and closes open connections.
  void stop();

 private:
  std::shared_ptr<ServerState> impl_;
};

}  // namespace circuitd::http
