#pragma once
// A real HTTP/1.1 server on 127.0.0.1 (port 0) for the notification tests: it records every
// request and answers with a status the test chooses. Every connection runs on the one
// io_context it owns, on its own thread: destruction stops and joins that thread, and the
// connections still open go with the io_context, so none outlives the receiver.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace circuitd::testhttp {

/// One request the receiver saw.
struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
};

/// The local receiver.
class HttpReceiver {
 public:
  HttpReceiver() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpReceiver() {
    io_.stop();
    thread_.join();
  }
  /// "http://127.0.0.1:PORT".
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  /// Status for the next requests.
  void setStatus(int s) { status_ = s; }
  /// Everything received so far.
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard<std::mutex> l(m_);
    return requests_;
  }
  /// Number of requests received.
  std::size_t count() const {
    std::lock_guard<std::mutex> l(m_);
    return requests_.size();
  }

 private:
  // One connection: read a request, record it, answer it, repeat while kept alive.
  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(HttpReceiver& o, boost::asio::ip::tcp::socket s) : owner(o), sock(std::move(s)) {}
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
      const int status = owner.status_;
      // Recorded only when it will be answered with success or failure, as a server would.
      {
        std::lock_guard<std::mutex> l(owner.m_);
        owner.requests_.push_back(std::move(r));
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
    HttpReceiver& owner;  // outlived: the connection lives only inside owner.io_
    boost::asio::ip::tcp::socket sock;
    boost::beast::flat_buffer buf;
    boost::beast::http::request<boost::beast::http::string_body> req;
    boost::beast::http::response<boost::beast::http::string_body> res;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (!ec) std::make_shared<Connection>(*this, std::move(s))->read();
      accept();
    });
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex m_;
  std::vector<ReceivedRequest> requests_;
  std::atomic<int> status_{200};
};

}  // namespace circuitd::testhttp
