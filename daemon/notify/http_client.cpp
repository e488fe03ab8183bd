#include "daemon/notify/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>

namespace circuitd::notify {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Result<HttpUrl> parseHttpUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return fail("url \"" + url + "\"", "only http:// URLs are supported");
  std::string rest = url.substr(scheme.size());
  HttpUrl u;
  const auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) u.target = rest.substr(slash);
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:port
    const auto close = hostport.find(']');
    if (close == std::string::npos) return fail("url \"" + url + "\"", "unterminated [ in host");
    u.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return fail("url \"" + url + "\"", "garbage after ]");
      u.port = hostport.substr(close + 2);
    }
  } else {
    const auto colon = hostport.rfind(':');
    u.host = hostport.substr(0, colon);
    if (colon != std::string::npos) u.port = hostport.substr(colon + 1);
  }
  if (u.host.empty()) return fail("url \"" + url + "\"", "no host");
  if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos)
    return fail("url \"" + url + "\"", "bad port \"" + u.port + "\"");
  return u;
}

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::io_context& io, HttpUrl url, HttpRequest req,
          std::function<void(HttpResponse)> done)
      : resolver_(io),
        stream_(io),
        url_(std::move(url)),
        req_(std::move(req)),
        done_(std::move(done)) {}

  void run() {
    msg_.method(http::verb::post);
    msg_.target(url_.target);
    msg_.version(11);
    msg_.set(http::field::host, url_.host + ":" + url_.port);
    msg_.set(http::field::user_agent, "circuitd");
    msg_.set(http::field::content_type, req_.content_type);
    msg_.set(http::field::connection, "close");
    for (const auto& [k, v] : req_.headers) msg_.set(k, v);
    msg_.body() = req_.body;
    msg_.prepare_payload();
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          self->onResolve(ec, r);
        });
  }

 private:
  void finish(HttpResponse r) {
    if (!done_) return;
    auto d = std::move(done_);
    done_ = nullptr;
    d(std::move(r));
  }
  void failWith(const char* what, beast::error_code ec) {
    HttpResponse r;
    r.error = std::string(what) + ": " + ec.message();
    finish(std::move(r));
  }
  void onResolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) return failWith("resolve", ec);
    stream_.expires_after(req_.timeout);
    stream_.async_connect(
        results, [self = shared_from_this()](beast::error_code e, const tcp::endpoint&) {
          if (e) return self->failWith("connect", e);
          self->stream_.expires_after(self->req_.timeout);
          http::async_write(self->stream_, self->msg_,
                            [self](beast::error_code e2, std::size_t) { self->onWrite(e2); });
        });
  }
  void onWrite(beast::error_code ec) {
    if (ec) return failWith("write", ec);
    http::async_read(stream_, buffer_, res_,
                     [self = shared_from_this()](beast::error_code e, std::size_t) {
                       if (e) return self->failWith("read", e);
                       HttpResponse r;
                       r.status = static_cast<int>(self->res_.result_int());
                       r.body = self->res_.body();
                       beast::error_code ignored;
                       self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                       self->finish(std::move(r));
                     });
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  HttpUrl url_;
  HttpRequest req_;
  std::function<void(HttpResponse)> done_;
  http::request<http::string_body> msg_;
  beast::flat_buffer buffer_;
  http::response<http::string_body> res_;
};

}  // namespace

void asyncPost(boost::asio::io_context& io, HttpRequest req,
               std::function<void(HttpResponse)> done) {
  auto url = parseHttpUrl(req.url);
  if (!url) {
    HttpResponse r;
    r.error = url.error().str();
    // Deliver on the io_context like every other outcome, never from inside the call.
    boost::asio::post(io, [done = std::move(done), r = std::move(r)]() mutable { done(r); });
    return;
  }
  std::make_shared<Session>(io, std::move(*url), std::move(req), std::move(done))->run();
}

}  // namespace circuitd::notify
