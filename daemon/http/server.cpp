#include "daemon/http/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <optional>

#include "circuitd_version.hpp"

namespace circuitd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Session;

// Shared with every session, so a late handler never touches a destroyed server.
struct ServerState : std::enable_shared_from_this<ServerState> {
  ServerState(asio::io_context& i, Server::SnapshotFn s, ServerLimits l)
      : io(i), snapshot(std::move(s)), limits(l), acceptor(i), lag_timer(i) {}

  void accept();
  void armLag();

  asio::io_context& io;
  Server::SnapshotFn snapshot;
  ServerLimits limits;
  tcp::acceptor acceptor;
  asio::steady_timer lag_timer;
  std::chrono::steady_clock::time_point lag_expected;
  double lag_ms = 0.0;
  bool stopped = false;
  std::list<std::weak_ptr<Session>> sessions;
  std::list<std::weak_ptr<Session>> refused;  // over the cap, being told 503
};

// One connection: read a request, answer it, repeat while the client keeps it alive.
struct Session : std::enable_shared_from_this<Session> {
  Session(tcp::socket s, std::shared_ptr<ServerState> o) : stream(std::move(s)), owner(o) {}

  void read() {
    parser.emplace();
    parser->header_limit(owner->limits.header_limit);
    parser->body_limit(owner->limits.body_limit);
    stream.expires_after(owner->limits.idle_timeout);
    bhttp::async_read(
        stream, buffer, *parser,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      close();
      return;
    }
    if (ec) {
      // Malformed request, or over the header/body limit: answer once and close.
      Response r =
          ec == bhttp::error::header_limit ? badRequest("request line or header too large", 431)
          : ec == bhttp::error::body_limit ? badRequest("request body too large", 413)
                                           : badRequest("malformed request: " + ec.message());
      send(r, 11, false, false);
      return;
    }
    const auto& req = parser->get();
    Snapshot snap = owner->snapshot ? owner->snapshot() : Snapshot{};
    snap.loop_lag_ms = owner->lag_ms;
    snap.version = CIRCUITD_VERSION;
    const auto method = req.method_string();
    const auto target = req.target();
    const Response r = route(std::string_view(method.data(), method.size()),
                             std::string_view(target.data(), target.size()), snap);
    send(r, req.version(), req.keep_alive(), req.method() == bhttp::verb::head);
  }

  void send(const Response& r, unsigned version, bool keep_alive, bool head) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(r.status), version);
    res->set(bhttp::field::server, "circuitd");
    res->set(bhttp::field::content_type, r.content_type);
    res->set(bhttp::field::cache_control, "no-store");
    if (!r.allow.empty()) res->set(bhttp::field::allow, r.allow);
    res->keep_alive(keep_alive);
    res->body() = r.body;
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length still tells the GET size
    stream.expires_after(owner->limits.idle_timeout);
    bhttp::async_write(stream, *res,
                       [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                         if (ec || self->owner->stopped) {
                           self->close();
                           return;
                         }
                         if (!res->keep_alive()) {
                           self->lingerClose();
                           return;
                         }
                         self->read();
                       });
  }

  // Closing with unread input (the rest of an oversized header, a pipelined request) makes the
  // kernel send a reset, which can destroy the answer before the client reads it. So the
  // sending side is shut first and what the client still sends is read and dropped until it
  // closes too, for at most a second.
  void lingerClose() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(std::min<std::chrono::steady_clock::duration>(owner->limits.idle_timeout,
                                                                       std::chrono::seconds{1}));
    drain();
  }
  void drain() {
    buffer.consume(buffer.size());
    stream.async_read_some(buffer.prepare(4096),
                           [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             if (ec || self->owner->stopped) {
                               self->close();
                               return;
                             }
                             self->buffer.commit(n);
                             self->drain();
                           });
  }

  // Over the connection cap: a fixed 503 asking to retry in a second, then the same graceful
  // close. Writing and draining take at most a second each (less with a shorter
  // client_timeout), so a client that does not read cannot hold the connection.
  void refuse() {
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Server: circuitd\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Cache-Control: no-store\r\n"
        "Retry-After: 1\r\n"
        "Connection: close\r\n"
        "Content-Length: 21\r\n"
        "\r\n"
        "too many connections\n";
    stream.expires_after(std::min<std::chrono::steady_clock::duration>(owner->limits.idle_timeout,
                                                                       std::chrono::seconds{1}));
    asio::async_write(stream, asio::buffer(kBusy.data(), kBusy.size()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec || self->owner->stopped) {
                          self->close();
                          return;
                        }
                        self->lingerClose();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser;
  std::shared_ptr<ServerState> owner;
};

void ServerState::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
    if (self->stopped) return;
    if (!ec) {
      self->sessions.remove_if([](const auto& w) { return w.expired(); });
      self->refused.remove_if([](const auto& w) { return w.expired(); });
      if (self->sessions.size() >= self->limits.max_connections) {
        // Refusals in flight are bounded too (each lasts at most two seconds): beyond as many as
        // the cap, a connection is closed without an answer.
        if (self->refused.size() >= self->limits.max_connections) {
          beast::error_code ignored;
          s.close(ignored);
        } else {
          auto session = std::make_shared<Session>(std::move(s), self);
          self->refused.push_back(session);
          session->refuse();
        }
      } else {
        auto session = std::make_shared<Session>(std::move(s), self);
        self->sessions.push_back(session);
        session->read();
      }
    }
    self->accept();
  });
}

// Loop lag: how late a 1 s timer fires on the shared loop.
void ServerState::armLag() {
  if (stopped) return;
  lag_expected = std::chrono::steady_clock::now() + std::chrono::seconds{1};
  lag_timer.expires_at(lag_expected);
  lag_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->stopped) return;
    const auto late = std::chrono::steady_clock::now() - self->lag_expected;
    self->lag_ms = std::chrono::duration<double, std::milli>(late).count();
    self->armLag();
  });
}

Server::Server(asio::io_context& io, SnapshotFn snapshot, ServerLimits limits)
    : impl_(std::make_shared<ServerState>(io, std::move(snapshot), limits)) {}

Server::~Server() { stop(); }

Result<void> Server::start(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return fail("http listen", "'" + host + "' is not an IP address");
  const tcp::endpoint ep(addr, port);
  const std::string where = "http listen " + ep.address().to_string() + ":" + std::to_string(port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    return fail(where, ec.message());
  }
  impl_->accept();
  impl_->armLag();
  return {};
}

std::uint16_t Server::port() const {
  beast::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->lag_timer.cancel();
  for (auto* list : {&impl_->sessions, &impl_->refused}) {
    for (auto& w : *list)
      if (auto s = w.lock()) s->close();
    list->clear();
  }
}

}  // namespace circuitd::http
