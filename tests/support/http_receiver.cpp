#include "tests/support/http_receiver.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <mutex>
#include <thread>
#include <utility>

namespace circuitd::testing {

struct HttpReceiver::Impl {
  // One connection: read a request, record it, answer it, repeat while kept alive.
  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(Impl& o, boost::asio::ip::tcp::socket s) : owner(o), sock(std::move(s)) {}
    void read() {
      req = {};
      boost::beast::http::async_read(
          sock, buf, req, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (!ec) self->answer();
          });
    }
    void answer() {
      namespace http = boost::beast::http;
      ReceivedRequest r;
      r.target = std::string(req.target());
      for (const auto& h : req) {
        std::string name(h.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        r.headers[name] = std::string(h.value());
      }
      r.body = req.body();
      const int status = owner.status;
      // Recorded only when it will be answered with success or failure, as a server would.
      {
        std::lock_guard<std::mutex> l(owner.m);
        owner.requests.push_back(std::move(r));
      }
      res = {static_cast<http::status>(status), 11};
      res.set(http::field::content_type, "text/plain");
      res.body() = status < 300 ? "ok" : "fail";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::async_write(sock, res,
                        [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                          if (!ec && self->res.keep_alive()) self->read();
                        });
    }
    Impl& owner;  // outlived: the connection lives only inside owner.io
    boost::asio::ip::tcp::socket sock;
    boost::beast::flat_buffer buf;
    boost::beast::http::request<boost::beast::http::string_body> req;
    boost::beast::http::response<boost::beast::http::string_body> res;
  };

  Impl() : acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {}

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (!ec) std::make_shared<Connection>(*this, std::move(s))->read();
      accept();
    });
  }

  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor;
  std::thread thread;
  mutable std::mutex m;
  std::vector<ReceivedRequest> requests;
  std::atomic<int> status{200};
};

HttpReceiver::HttpReceiver() : impl_(std::make_unique<Impl>()) {
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

HttpReceiver::~HttpReceiver() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string HttpReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

void HttpReceiver::setStatus(int s) { impl_->status = s; }

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->requests;
}

std::size_t HttpReceiver::count() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->requests.size();
}

}  // namespace circuitd::testing
