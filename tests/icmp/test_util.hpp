#pragma once
// Helpers for the ICMP tests that use real sockets: run an io_context until a condition holds
// (with a deadline, never a fixed sleep) and the root prerequisite.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>

#include "tests/support/process.hpp"

namespace circuitd::icmp::test {

/// Runs io until pred() is true or `limit` passes; returns pred().
template <typename Pred>
bool runUntil(boost::asio::io_context& io, Pred pred, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return pred();
}

/// Prerequisites of the socket tests: root (raw sockets, namespaces) and iproute2.
inline std::string missingPrerequisite(bool need_ip) {
  if (::geteuid() != 0) return "must run as root (raw ICMP sockets, network namespaces)";
  if (need_ip && !circuitd::testing::haveTool("ip")) return "iproute2 'ip' not found";
  return {};
}

}  // namespace circuitd::icmp::test
