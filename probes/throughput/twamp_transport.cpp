#include "probes/throughput/twamp_transport.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "probes/throughput/twamp_codec.hpp"

namespace circuitd::throughput {
namespace asio = boost::asio;
using asio::ip::udp;

namespace {

std::int64_t realtimeNanos() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// The local clock's own error statement for the Error Estimate field: adjtimex() knows
/// whether NTP/PTP disciplines the clock and its estimated error.
ErrorEstimate localErrorEstimate() {
  timex tx{};
  const int state = ::adjtimex(&tx);
  const bool synced = state != TIME_ERROR && state != -1;
  const double err_s = synced ? std::max(1e-6, static_cast<double>(tx.esterror) * 1e-6) : 1e-3;
  return ErrorEstimate::fromSeconds(err_s, synced);
}

/// One datagram read with its kernel receive time (SO_TIMESTAMPNS) and TTL / hop limit.
struct Datagram {
  std::size_t size = 0;
  std::int64_t rx_ns = 0;
  int ttl = -1;
  sockaddr_storage from{};
  socklen_t from_len = 0;
};

/// Non-blocking recvmsg; false on EAGAIN (or any error, which the caller treats the same way:
/// wait for the next readiness).
bool receiveOne(int fd, std::vector<std::uint8_t>& buf, Datagram& d) {
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[256];
  msghdr msg{};
  msg.msg_name = &d.from;
  msg.msg_namelen = sizeof(d.from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) return false;
  d.size = static_cast<std::size_t>(n);
  d.from_len = msg.msg_namelen;
  d.rx_ns = 0;
  d.ttl = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      d.rx_ns = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      int v = 0;
      std::memcpy(&v, CMSG_DATA(c), sizeof(v));
      d.ttl = v;
    }
  }
  if (d.rx_ns == 0) d.rx_ns = realtimeNanos();
  return true;
}

void enableRxMetadata(int fd, bool v6) {
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  if (v6)
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
  else
    ::setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
  const int buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
}

// ---------------------------------------------------------------------------------------------
// Sender

class Sender {
 public:
  Sender(const TestPlan& plan, udp::endpoint to)
      : plan_(plan), to_(to), socket_(io_), timer_(io_) {}

  Result<TestReport> run() {
    boost::system::error_code ec;
    socket_.open(to_.protocol(), ec);
    if (!ec) socket_.connect(to_, ec);
    if (ec) return fail("sender socket", ec.message());
    const bool v6 = to_.address().is_v6();
    const int fd = socket_.native_handle();
    enableRxMetadata(fd, v6);
    // TTL 255 lets the reflector's copy of the received TTL tell the hop count.
    const int ttl = 255;
    if (v6)
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
    else
      ::setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
    socket_.non_blocking(true, ec);

    wire_size_ = plan_.packet_size + (v6 ? kIpv6UdpOverhead : kIpv4UdpOverhead);
    pps_ = plan_.rate_bps / (static_cast<double>(wire_size_) * 8);
    const std::uint64_t train = plan_.train_length;
    total_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(
                                            pps_ * plan_.seconds / static_cast<double>(train)))) *
             train;
    records_.assign(total_, PacketRecord{});
    sent_ntp_.assign(total_, NtpTimestamp{});
    rx_buf_.resize(65536);
    error_ = localErrorEstimate();

    start_ = std::chrono::steady_clock::now();
    waitRead();
    tick();
    io_.run();
    if (!send_error_.empty() && sent_ == 0)
      return fail("send to " + to_.address().to_string(), send_error_);
    TestReport r = computeReport(plan_, wire_size_, records_);
    r.duplicates = duplicates_;
    r.invalid_replies = invalid_;
    r.send_error = send_error_;
    r.timestamp_error_ms = r.timestamp_error_ms + error_.seconds() * 1e3;
    return r;
  }

 private:
  // Pacing: the timer aims at the due time of the next packet; when the process was late
  // (timer slack, scheduling) every packet that has become due is sent at once, so the average
  // rate stays exact while no burst is larger than the lateness.
  void tick() {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    // With trains, whole trains fall due at once and go out back to back.
    const std::uint64_t train = plan_.train_length;
    const auto due = std::min<std::uint64_t>(
        total_,
        (static_cast<std::uint64_t>(elapsed * pps_ / static_cast<double>(train)) + 1) * train);
    while (sent_ < due) {
      SenderPacket p;
      p.sequence = static_cast<std::uint32_t>(sent_);
      const std::int64_t t1 = realtimeNanos();
      p.timestamp = ntpFromUnixNanos(t1);
      p.error = error_;
      encodeSender(p, plan_.packet_size, tx_buf_);
      const ssize_t n =
          ::send(socket_.native_handle(), tx_buf_.data(), tx_buf_.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;  // retry next tick
        // ECONNREFUSED reports an earlier ICMP port unreachable; the packet itself is lost.
        send_error_ = std::strerror(errno);
        if (errno != ECONNREFUSED) break;
      }
      records_[sent_].sent = true;
      records_[sent_].t1_ns = t1;
      sent_ntp_[sent_] = p.timestamp;
      ++sent_;
    }
    if (sent_ >= total_) {
      timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(plan_.drain_seconds)));
      timer_.async_wait([this](const boost::system::error_code&) {
        boost::system::error_code ignored;
        socket_.close(ignored);
        io_.stop();
      });
      return;
    }
    // After a partial send (full socket buffer) retry soon; otherwise wait for the next train.
    const auto next_packet = sent_ < due ? sent_ : (sent_ + train - 1) / train * train;
    const auto next =
        start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(next_packet) / pps_));
    timer_.expires_at(std::max(next, now + std::chrono::microseconds(sent_ < due ? 200 : 0)));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  void waitRead() {
    socket_.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
      if (ec) return;
      Datagram d;
      while (receiveOne(socket_.native_handle(), rx_buf_, d)) handleReply(d);
      waitRead();
    });
  }

  void handleReply(const Datagram& d) {
    auto pkt = decodeReflector(std::span<const std::uint8_t>(rx_buf_.data(), d.size));
    if (!pkt || pkt->sender_sequence >= total_ || !records_[pkt->sender_sequence].sent ||
        !(sent_ntp_[pkt->sender_sequence] == pkt->sender_timestamp)) {
      ++invalid_;
      return;
    }
    PacketRecord& r = records_[pkt->sender_sequence];
    if (r.replied) {
      ++duplicates_;
      return;
    }
    r.replied = true;
    r.t4_ns = d.rx_ns;
    r.t2_ns = unixNanosFromNtp(pkt->receive_timestamp, r.t1_ns);
    r.t3_ns = unixNanosFromNtp(pkt->timestamp, r.t1_ns);
    r.reflector_seq = pkt->sequence;
    r.ttl = pkt->sender_ttl;
    r.reflector_error_s = pkt->error.seconds();
  }

  TestPlan plan_;
  udp::endpoint to_;
  asio::io_context io_;
  udp::socket socket_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point start_;
  std::size_t wire_size_ = 0;
  double pps_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t invalid_ = 0;
  std::vector<PacketRecord> records_;
  std::vector<NtpTimestamp> sent_ntp_;
  std::vector<std::uint8_t> tx_buf_;
  std::vector<std::uint8_t> rx_buf_;
  ErrorEstimate error_;
  std::string send_error_;
};

Result<udp::endpoint> resolve(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (!ec) return udp::endpoint(addr, port);
  asio::io_context io;
  udp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) return fail("reflector " + host, "cannot resolve: " + ec.message());
  return results.begin()->endpoint();
}

}  // namespace

Result<TestReport> runTest(const TestPlan& plan, const TestLimits& limits) {
  if (auto ok = checkPlan(plan, limits); !ok) return fail(ok.error());
  auto ep = resolve(plan.host, plan.port);
  if (!ep) return fail(ep.error());
  Sender s(plan, *ep);
  return s.run();
}

// ---------------------------------------------------------------------------------------------
// Reflector

struct Reflector::Impl {
  Options opt;
  asio::io_context io;
  udp::socket socket{io};
  asio::steady_timer sweep{io};
  bool v6 = false;
  mutable std::mutex mu;
  Counters counters;
  std::vector<std::uint8_t> rx_buf = std::vector<std::uint8_t>(65536);
  std::vector<std::uint8_t> tx_buf;

  struct Session {
    std::uint32_t next_seq = 0;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
    double tokens = 0;  ///< bits the session may still send (token bucket)
    std::int64_t refill_ns = 0;
  };
  std::unordered_map<std::string, Session> sessions;

  static std::string key(const Datagram& d) {
    return std::string(reinterpret_cast<const char*>(&d.from), d.from_len);
  }

  void waitRead() {
    socket.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
      if (ec) return;
      Datagram d;
      while (receiveOne(socket.native_handle(), rx_buf, d)) handle(d);
      waitRead();
    });
  }

  void handle(const Datagram& d) {
    std::lock_guard lock(mu);
    ++counters.received;
    auto pkt = decodeSender(std::span<const std::uint8_t>(rx_buf.data(), d.size));
    if (!pkt) {
      ++counters.malformed;
      return;
    }
    auto it = sessions.find(key(d));
    if (it == sessions.end()) {
      if (sessions.size() >= opt.max_sessions) {
        ++counters.dropped_sessions;
        return;
      }
      Session s;
      s.first_ns = d.rx_ns;
      s.refill_ns = d.rx_ns;
      // Depth of the bucket: 100 ms at the cap, so pacing jitter does not trip the guard.
      s.tokens = opt.max_rate_bps * 0.1;
      it = sessions.emplace(key(d), s).first;
      ++counters.sessions;
    }
    Session& s = it->second;
    s.last_ns = d.rx_ns;
    if (static_cast<double>(d.rx_ns - s.first_ns) / 1e9 > opt.max_session_seconds) {
      ++counters.dropped_duration;
      return;
    }
    const double depth = opt.max_rate_bps * 0.1;
    s.tokens = std::min(
        depth, s.tokens + opt.max_rate_bps * static_cast<double>(d.rx_ns - s.refill_ns) / 1e9);
    s.refill_ns = d.rx_ns;
    const std::size_t out_size = std::max(d.size, kReflectorHeaderSize);
    const double bits =
        static_cast<double>(out_size + (v6 ? kIpv6UdpOverhead : kIpv4UdpOverhead)) * 8;
    if (s.tokens < bits) {
      ++counters.dropped_rate;
      return;
    }
    s.tokens -= bits;

    ReflectorPacket r;
    r.sequence = s.next_seq++;
    r.error = localErrorEstimate();
    r.receive_timestamp = ntpFromUnixNanos(d.rx_ns);
    r.sender_sequence = pkt->sequence;
    r.sender_timestamp = pkt->timestamp;
    r.sender_error = pkt->error;
    r.sender_ttl = d.ttl >= 0 ? static_cast<std::uint8_t>(d.ttl) : 255;
    r.timestamp = ntpFromUnixNanos(realtimeNanos());
    encodeReflector(r, out_size, tx_buf);
    // The reply goes out with the sender's padding size (RFC 5357 appendix I: symmetric size).
    const ssize_t n = ::sendto(socket.native_handle(), tx_buf.data(), tx_buf.size(), MSG_DONTWAIT,
                               reinterpret_cast<const sockaddr*>(&d.from), d.from_len);
    if (n >= 0) ++counters.reflected;
  }

  void scheduleSweep() {
    sweep.expires_after(std::chrono::seconds(1));
    sweep.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const std::int64_t now = realtimeNanos();
      std::lock_guard lock(mu);
      for (auto it = sessions.begin(); it != sessions.end();) {
        if (static_cast<double>(now - it->second.last_ns) / 1e9 > opt.idle_seconds)
          it = sessions.erase(it);
        else
          ++it;
      }
      scheduleSweep();
    });
  }
};

Result<std::unique_ptr<Reflector>> Reflector::open(const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(options.host, ec);
  if (ec) return fail("listen " + options.host, "not an IP address: " + ec.message());
  const udp::endpoint ep(addr, options.port);
  impl->socket.open(ep.protocol(), ec);
  if (!ec) impl->socket.bind(ep, ec);
  if (ec) return fail("listen " + options.host + ":" + std::to_string(options.port), ec.message());
  impl->v6 = addr.is_v6();
  enableRxMetadata(impl->socket.native_handle(), impl->v6);
  impl->socket.non_blocking(true, ec);
  return std::unique_ptr<Reflector>(new Reflector(std::move(impl)));
}

Reflector::Reflector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reflector::~Reflector() = default;

std::uint16_t Reflector::port() const { return impl_->socket.local_endpoint().port(); }

void Reflector::run() {
  impl_->waitRead();
  impl_->scheduleSweep();
  impl_->io.run();
}

void Reflector::stop() { impl_->io.stop(); }

Reflector::Counters Reflector::counters() const {
  std::lock_guard lock(impl_->mu);
  return impl_->counters;
}

}  // namespace circuitd::throughput
