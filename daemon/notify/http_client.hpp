#pragma once
// A small asynchronous HTTP/1.1 POST client (Boost.Beast) on the caller's io_context. Plain
// http:// only; one connection per request, which is plenty for fault notifications.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace boost::asio {
class io_context;
}

namespace circuitd::notify {

/// An http:// URL split into its parts.
struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

/// Parses "http://host[:port][/path]"; https and other schemes are an error naming the URL.
Result<HttpUrl> parseHttpUrl(const std::string& url);

/// One POST.
struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  Duration timeout{std::chrono::seconds{10}};
};

/// What came back: status 0 and an error text when no response arrived.
struct HttpResponse {
  int status = 0;
  std::string body;
  std::string error;
  /// 2xx.
  bool ok() const { return status >= 200 && status < 300; }
};

/// Sends req; done runs on io's thread exactly once.
void asyncPost(boost::asio::io_context& io, HttpRequest req,
               std::function<void(HttpResponse)> done);

}  // namespace circuitd::notify
