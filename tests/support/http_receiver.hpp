#pragma once
// A real HTTP/1.1 server on 127.0.0.1 (port 0) for the notification tests, standing in for a
// webhook receiver: it records every request and answers with a status the test chooses.
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace circuitd::testing {

/// One request the receiver saw.
struct ReceivedRequest {
  std::string target;                          ///< the request target, "/circuitd/events"
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;                            ///< as received, byte for byte
};

/// The local receiver. Every connection runs on the one io_context it owns, on its own thread:
/// destruction stops and joins that thread, and the connections still open go with the
/// io_context, so none outlives the receiver.
class HttpReceiver {
 public:
  /// Listens on a free port of 127.0.0.1 in the calling thread's network namespace.
  HttpReceiver();
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;
  /// "http://127.0.0.1:PORT".
  std::string url() const;
  /// Status for the next requests (200 until set).
  void setStatus(int s);
  /// Everything received so far.
  std::vector<ReceivedRequest> requests() const;
  /// Number of requests received.
  std::size_t count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace circuitd::testing
