#include "probes/snmp/v2c_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace circuitd::snmp::detail {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kRxBatch = 32;     ///< datagrams per recvmmsg
constexpr std::size_t kRxSize = 65536;   ///< largest UDP payload
constexpr int kMaxBatchesPerWake = 32;   ///< then yield to other handlers
constexpr std::uint32_t kSlotBits = 24;  ///< request-id = generation << 24 | slot
constexpr std::uint32_t kSlotMask = (1u << kSlotBits) - 1;

}  // namespace

Result<Peer> numericPeer(const std::string& host, std::uint16_t port) {
  Peer p;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&p.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&p.addr);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    p.len = sizeof(sockaddr_in);
    return p;
  }
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    p.len = sizeof(sockaddr_in6);
    return p;
  }
  return fail("address", "not an IP literal: " + host);
}

bool samePeer(const sockaddr_storage& from, socklen_t from_len, const Peer& peer) {
  if (from.ss_family != peer.addr.ss_family) return false;
  if (from.ss_family == AF_INET) {
    if (from_len < static_cast<socklen_t>(sizeof(sockaddr_in))) return false;
    const auto& a = reinterpret_cast<const sockaddr_in&>(from);
    const auto& b = reinterpret_cast<const sockaddr_in&>(peer.addr);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (from.ss_family == AF_INET6) {
    if (from_len < static_cast<socklen_t>(sizeof(sockaddr_in6))) return false;
    const auto& a = reinterpret_cast<const sockaddr_in6&>(from);
    const auto& b = reinterpret_cast<const sockaddr_in6&>(peer.addr);
    return a.sin6_port == b.sin6_port &&
           std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

V2cTransport::V2cTransport(asio::io_context& io, Listener& listener, ReplyDrops& drops)
    : io_(io), listener_(listener), drops_(drops), timer_(io) {}

V2cTransport::~V2cTransport() { close(); }

Result<void> V2cTransport::openFor(const Peer& peer) {
  auto& s = socketFor(peer.addr.ss_family);
  if (s.fd >= 0) return {};
  if (closed_) return fail("socket", "transport closed");
  const int fd = ::socket(peer.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket", std::strerror(errno));
  // Replies of many agents arrive in bursts; room for a few thousand of them.
  const int rcvbuf = 4 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  s.fd = fd;
  s.sd = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  s.out.reserve(64);
  s.out_iov.reserve(64);
  if (rx_.empty()) {
    rx_.resize(kRxBatch * kRxSize);
    rx_msgs_.resize(kRxBatch);
    rx_iov_.resize(kRxBatch);
    rx_from_.resize(kRxBatch);
  }
  armRead(s);
  return {};
}

V2cTransport::Pending* V2cTransport::find(std::int32_t request_id) {
  const std::uint32_t slot = static_cast<std::uint32_t>(request_id) & kSlotMask;
  if (slot >= slots_.size()) return nullptr;
  auto& p = slots_[slot];
  return p.active && p.request_id == request_id ? &p : nullptr;
}

void V2cTransport::release(Pending& p) {
  p.active = false;
  --active_;
  free_.push_back(static_cast<std::uint32_t>(p.request_id) & kSlotMask);
}

std::int32_t V2cTransport::send(const Peer& peer, EncodedRequest& req, std::string_view community,
                                SteadyClock::duration timeout, std::uintptr_t tag) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  auto& p = slots_[slot];
  // Generations 1..127 keep the id in [kMinRequestId, kMaxRequestId]: a late reply to an
  // earlier use of this slot does not match.
  p.generation = static_cast<std::uint8_t>(p.generation % 127 + 1);
  p.request_id =
      static_cast<std::int32_t>((static_cast<std::uint32_t>(p.generation) << kSlotBits) | slot);
  p.active = true;
  p.peer = peer;
  p.community = community;
  p.tag = tag;
  ++active_;
  setRequestId(req, p.request_id);

  const auto deadline = SteadyClock::now() + timeout;
  heap_.emplace_back(deadline, p.request_id);
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  if (deadline < armed_at_) armTimer();

  auto& s = socketFor(peer.addr.ss_family);
  if (s.out.size() == s.out.capacity()) flushSocket(s);
  // Both vectors have their capacity reserved, so the pointers taken here stay valid.
  s.out_iov.push_back(::iovec{req.bytes.data(), req.bytes.size()});
  ::mmsghdr m{};
  m.msg_hdr.msg_name = &p.peer.addr;
  m.msg_hdr.msg_namelen = p.peer.len;
  m.msg_hdr.msg_iov = &s.out_iov.back();
  m.msg_hdr.msg_iovlen = 1;
  s.out.push_back(m);
  return p.request_id;
}

void V2cTransport::flush() {
  flushSocket(v4_);
  flushSocket(v6_);
}

void V2cTransport::flushSocket(Socket& s) {
  std::size_t done = 0;
  while (done < s.out.size() && s.fd >= 0) {
    const int n =
        ::sendmmsg(s.fd, s.out.data() + done, static_cast<unsigned>(s.out.size() - done), 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The first datagram was refused (ENOBUFS, EAGAIN, unreachable): count it as lost and go
    // on with the rest; its request times out and is retried.
    ++send_errors_;
    ++done;
  }
  s.out.clear();
  s.out_iov.clear();
}

void V2cTransport::cancel(std::int32_t request_id) {
  if (auto* p = find(request_id)) release(*p);
}

void V2cTransport::close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  for (Socket* s : {&v4_, &v6_}) {
    if (s->sd) {
      s->sd->cancel();
      s->sd.reset();  // closes the descriptor
    }
    s->fd = -1;
    s->out.clear();
    s->out_iov.clear();
  }
  for (auto& p : slots_) p.active = false;
  active_ = 0;
  heap_.clear();
}

void V2cTransport::armRead(Socket& s) {
  if (s.reading || closed_ || !s.sd) return;
  s.reading = true;
  std::weak_ptr<V2cTransport> weak = weak_from_this();
  Socket* sp = &s;
  s.sd->async_wait(asio::posix::stream_descriptor::wait_read,
                   [weak, sp](const boost::system::error_code& ec) {
                     auto self = weak.lock();
                     if (!self || ec || self->closed_) return;
                     sp->reading = false;
                     ++self->read_wakeups_;
                     self->drain(*sp);
                   });
}

void V2cTransport::drain(Socket& s) {
  auto keep = shared_from_this();  // a listener may drop the last owner
  for (int batch = 0; batch < kMaxBatchesPerWake; ++batch) {
    if (closed_ || s.fd < 0) return;
    for (std::size_t i = 0; i < kRxBatch; ++i) {
      rx_iov_[i] = ::iovec{rx_.data() + i * kRxSize, kRxSize};
      auto& h = rx_msgs_[i].msg_hdr;
      h = ::msghdr{};
      h.msg_name = &rx_from_[i];
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_iov = &rx_iov_[i];
      h.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(s.fd, rx_msgs_.data(), kRxBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      // EAGAIN: drained. The reactor is edge-triggered, so wait for the next datagram.
      armRead(s);
      return;
    }
    datagrams_ += static_cast<std::uint64_t>(n);
    for (int i = 0; i < n && !closed_; ++i) {
      const auto& m = rx_msgs_[static_cast<std::size_t>(i)];
      handleDatagram(rx_.data() + static_cast<std::size_t>(i) * kRxSize, m.msg_len,
                     (m.msg_hdr.msg_flags & MSG_TRUNC) != 0, rx_from_[static_cast<std::size_t>(i)],
                     m.msg_hdr.msg_namelen);
    }
    if (static_cast<std::size_t>(n) < kRxBatch) {
      armRead(s);
      return;
    }
  }
  // Still more queued: let other handlers run, then continue.
  std::weak_ptr<V2cTransport> weak = weak_from_this();
  Socket* sp = &s;
  asio::post(io_, [weak, sp] {
    if (auto self = weak.lock(); self && !self->closed_) self->drain(*sp);
  });
}

void V2cTransport::handleDatagram(const std::uint8_t* data, std::size_t size, bool truncated,
                                  const sockaddr_storage& from, socklen_t from_len) {
  ResponseView r;
  const auto check = truncated ? ResponseCheck::Malformed : parseResponse(data, size, r);
  switch (check) {
    case ResponseCheck::Ok:
      break;
    case ResponseCheck::Malformed:
      ++drops_.malformed;
      return;
    case ResponseCheck::WrongVersion:
      ++drops_.wrong_version;
      return;
    case ResponseCheck::NotResponse:
      ++drops_.not_response;
      return;
  }
  Pending* p = find(r.request_id);
  if (!p) {
    ++drops_.unknown_request;
    return;
  }
  if (!samePeer(from, from_len, p->peer)) {
    ++drops_.wrong_source;
    return;
  }
  if (r.community != p->community) {
    ++drops_.wrong_community;
    return;
  }
  const auto tag = p->tag;
  release(*p);
  listener_.onResponse(tag, r);
}

void V2cTransport::armTimer() {
  // Entries of answered or cancelled requests at the top are dropped here, so that an idle
  // poller has no timer running.
  while (!heap_.empty() && !find(heap_.front().second)) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
  }
  if (heap_.empty() || closed_) {
    if (armed_at_ != SteadyClock::time_point::max()) timer_.cancel();
    armed_at_ = SteadyClock::time_point::max();
    return;
  }
  const auto at = heap_.front().first;
  if (at == armed_at_) return;
  armed_at_ = at;
  timer_.expires_at(at);
  std::weak_ptr<V2cTransport> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->closed_) return;
    self->armed_at_ = SteadyClock::time_point::max();
    self->onTimer();
  });
}

void V2cTransport::onTimer() {
  auto keep = shared_from_this();
  const auto now = SteadyClock::now();
  while (!heap_.empty() && !closed_) {
    const auto [deadline, id] = heap_.front();
    Pending* p = find(id);
    if (p && deadline > now) break;
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
    if (!p) continue;
    const auto tag = p->tag;
    release(*p);
    listener_.onTimeout(tag);  // may send again (a retry), which pushes onto the heap
  }
  armTimer();
}

}  // namespace circuitd::snmp::detail
