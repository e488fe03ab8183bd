#pragma once
// Talking to a server the test started on 127.0.0.1 with plain sockets, so malformed requests
// reach it byte for byte. Reads give up after 5 s: a hung server fails the test instead of
// hanging it.
#include <string>

namespace circuitd::testing {

/// A TCP connection to 127.0.0.1:port with a 5 s read timeout; -1 when it cannot connect.
int connectLoopback(int port);
/// Sends all of `data`; false when the connection refuses it.
bool sendAll(int fd, const std::string& data);
/// Reads until the peer closes (or resets, or 5 s pass); what arrived before.
std::string readToClose(int fd);
/// Sends `raw` to 127.0.0.1:port and reads until the server closes; "" when it cannot connect.
std::string rawExchange(int port, const std::string& raw);
/// GET `target` from 127.0.0.1:port with Connection: close; the whole response or "".
std::string httpGet(int port, const std::string& target);

}  // namespace circuitd::testing
