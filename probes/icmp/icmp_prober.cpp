#include "probes/icmp/icmp_prober.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "probes/icmp/icmp_codec.hpp"
#include "probes/icmp/send_scheduler.hpp"

namespace circuitd::icmp {
namespace {

namespace asio = boost::asio;

// From <linux/icmp.h>, which cannot be included next to <net/if.h> (pulled in by Asio).
constexpr int kIcmpFilterOption = 1;  // ICMP_FILTER at SOL_RAW
struct IcmpFilter {
  std::uint32_t data;  // bit n set: drop ICMP type n
};

constexpr std::size_t kBatch = 64;       // messages per sendmmsg / recvmmsg call
constexpr std::size_t kRecvSlot = 1500;  // an ICMP error quotes at most 576 bytes (RFC 1812)
constexpr std::size_t kSeqSpace = 65536;
constexpr std::uint32_t kSlotBits = 20;      // token = slot | generation << 20
constexpr std::size_t kControlSize = 64;     // room for one SCM_TIMESTAMPNS
constexpr Nanos kIdleDrain = 1'000'000'000;  // how often a socket without probes is read

Nanos realNow() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return Nanos{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Nanos monoNow() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return Nanos{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string errnoText(int e) { return std::strerror(e); }

std::string pingGroupRange() {
  std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
  std::string a, b;
  if (!(in >> a >> b)) return "unreadable";
  return a + " " + b;
}

struct Opened {
  int fd = -1;
  bool raw = false;
  std::uint16_t identifier = 0;  // datagram sockets: the kernel's ident (the bound "port")
  std::string error;
};

void setBuffers(int fd, int bytes) {
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  // SO_RCVBUFFORCE passes rmem_max when privileged; otherwise the capped SO_RCVBUF applies.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  }
}

Opened openDatagram(Family f) {
  Opened o;
  const int domain = f == Family::V4 ? AF_INET : AF_INET6;
  const int proto = f == Family::V4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  o.fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (o.fd < 0) {
    o.error = "datagram socket: " + errnoText(errno) + " (group " + std::to_string(::getegid()) +
              " not in net.ipv4.ping_group_range '" + pingGroupRange() + "')";
    return o;
  }
  // Binding to "port" 0 makes the kernel choose the echo identifier now, so replies can be
  // matched against it (the kernel rewrites the identifier of every request we send).
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (f == Family::V4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    len = sizeof(sockaddr_in6);
  }
  if (::bind(o.fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::getsockname(o.fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    o.error = "datagram socket bind: " + errnoText(errno);
    ::close(o.fd);
    o.fd = -1;
    return o;
  }
  o.identifier = f == Family::V4 ? ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return o;
}

Opened openRaw(Family f, std::uint16_t identifier) {
  Opened o;
  o.raw = true;
  o.identifier = identifier;
  const int domain = f == Family::V4 ? AF_INET : AF_INET6;
  const int proto = f == Family::V4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  o.fd = ::socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (o.fd < 0) {
    o.error = "raw socket: " + errnoText(errno) +
              (errno == EPERM || errno == EACCES ? " (needs CAP_NET_RAW)" : "");
    return o;
  }
  // A raw ICMP socket gets a copy of every ICMP packet on the host, including the echo
  // requests that loopback targets receive; the kernel filter drops all but what we match.
  if (f == Family::V4) {
    IcmpFilter filt{};
    filt.data = ~((1u << kV4EchoReply) | (1u << kV4DestUnreachable) | (1u << kV4TimeExceeded));
    ::setsockopt(o.fd, SOL_RAW, kIcmpFilterOption, &filt, sizeof filt);
  } else {
    icmp6_filter filt{};
    ICMP6_FILTER_SETBLOCKALL(&filt);
    ICMP6_FILTER_SETPASS(kV6EchoReply, &filt);
    ICMP6_FILTER_SETPASS(kV6DestUnreachable, &filt);
    ICMP6_FILTER_SETPASS(kV6TimeExceeded, &filt);
    ::setsockopt(o.fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof filt);
  }
  return o;
}

Opened openSocket(Family f, SocketMode mode, std::uint16_t raw_identifier) {
  std::string why;
  if (mode != SocketMode::Raw) {
    Opened d = openDatagram(f);
    if (d.fd >= 0) return d;
    why = d.error;
    if (mode == SocketMode::Datagram) return d;
  }
  Opened r = openRaw(f, raw_identifier);
  if (r.fd < 0 && !why.empty()) r.error = why + "; " + r.error;
  return r;
}

bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, 16) == 0;
}

}  // namespace

struct IcmpProber::Impl : std::enable_shared_from_this<IcmpProber::Impl> {
  struct Target {
    std::string address;
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    Family family = Family::V4;
    TargetOptions options;
    std::uint32_t generation = 0;
    bool active = false;
    std::uint64_t probes = 0;
    ReachSample sample;  // reused for every emission: no per-probe allocation
  };

  struct Inflight {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
    std::uint32_t use = 0;  // distinguishes reuses of a sequence number
    bool active = false;
    Family family = Family::V4;
    Nanos payload_ns = 0;  // written into the request, checked against the reply
    Nanos send_ns = 0;     // just before the sendmmsg call that carried it
    TimePoint wall{};
  };

  struct Deadline {
    Nanos at;
    std::uint32_t use;
    std::uint16_t seq;
  };
  static bool laterDeadline(const Deadline& a, const Deadline& b) { return a.at > b.at; }

  enum class Outcome : std::uint8_t { Reply, Timeout, IcmpError, SendError };
  struct Emission {
    std::uint32_t slot;
    std::uint32_t generation;
    Outcome outcome;
    Family family;
    std::uint8_t type;
    std::uint8_t code;
    int err;
    double rtt_ms;
    TimePoint wall;
  };

  // One family's socket and its preallocated batch arrays. The socket is not registered with
  // the io_context directly (its reactor would wake on every arrival) but in poller_, an epoll
  // set of its own, where it is armed one-shot only when the prober wants a wake-up for replies.
  struct Channel {
    Family family;
    int fd = -1;
    bool armed = false;        // one-shot readiness armed in poller_
    std::size_t inflight = 0;  // probes awaiting a reply or timeout on this socket
    Nanos drained_at = 0;
    bool raw = false;
    std::uint16_t identifier = 0;
    std::size_t pkt_len = 0;
    std::array<mmsghdr, kBatch> send_msgs{};
    std::array<iovec, kBatch> send_iov{};
    std::vector<std::uint8_t> send_buf;
    std::array<std::uint16_t, kBatch> send_seq{};
    std::size_t pending = 0;
    std::array<mmsghdr, kBatch> recv_msgs{};
    std::array<iovec, kBatch> recv_iov{};
    std::array<sockaddr_storage, kBatch> recv_from{};
    std::array<std::array<char, kControlSize>, kBatch> recv_control{};
    std::vector<std::uint8_t> recv_buf;
    explicit Channel(Family f) : family(f) {}
  };

  Impl(asio::io_context& io, const Clock& clock, Callback cb, ProberOptions opts)
      : io_(io),
        clock_(clock),
        callback_(std::move(cb)),
        options_(opts),
        scheduler_(std::chrono::duration_cast<std::chrono::nanoseconds>(opts.send_quantum).count()),
        timer_(io),
        v4_(Family::V4),
        v6_(Family::V6) {
    if (options_.payload_size < kMinPayload) options_.payload_size = kMinPayload;
    inflight_.resize(kSeqSpace);
    deadlines_.reserve(kSeqSpace);
    emissions_.reserve(4 * kBatch);
    due_.reserve(options_.max_targets_hint);
    scheduler_.reserve(options_.max_targets_hint);
    targets_.reserve(options_.max_targets_hint);
    std::random_device rd;
    raw_identifier_ = static_cast<std::uint16_t>(rd());
    next_seq_ = static_cast<std::uint16_t>(rd());
    for (Channel* ch : {&v4_, &v6_}) {
      ch->pkt_len = kEchoHeaderSize + options_.payload_size;
      ch->send_buf.resize(kBatch * ch->pkt_len);
      ch->recv_buf.resize(kBatch * kRecvSlot);
      for (std::size_t i = 0; i < kBatch; ++i) {
        ch->send_iov[i] = iovec{ch->send_buf.data() + i * ch->pkt_len, ch->pkt_len};
        ch->send_msgs[i].msg_hdr.msg_iov = &ch->send_iov[i];
        ch->send_msgs[i].msg_hdr.msg_iovlen = 1;
        ch->recv_iov[i] = iovec{ch->recv_buf.data() + i * kRecvSlot, kRecvSlot};
        ch->recv_msgs[i].msg_hdr.msg_iov = &ch->recv_iov[i];
        ch->recv_msgs[i].msg_hdr.msg_iovlen = 1;
        ch->recv_msgs[i].msg_hdr.msg_name = &ch->recv_from[i];
        ch->recv_msgs[i].msg_hdr.msg_control = ch->recv_control[i].data();
      }
    }
  }

  Result<void> start() {
    if (running_) return {};
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return fail("icmp", "epoll_create1: " + errnoText(errno));
    poller_.emplace(io_, ep);
    Opened o4 = openSocket(Family::V4, options_.mode, raw_identifier_);
    if (o4.fd < 0) {
      closePoller();
      return fail("icmp", "cannot open an IPv4 ICMP socket: " + o4.error +
                              "; run as root or grant CAP_NET_RAW (systemd AmbientCapabilities="
                              "CAP_NET_RAW), or allow the group in net.ipv4.ping_group_range");
    }
    attach(v4_, o4);
    Opened o6 = openSocket(Family::V6, options_.mode, raw_identifier_);
    if (o6.fd >= 0) {
      attach(v6_, o6);
    } else {
      info_.v6_error = o6.error;
    }
    info_.v4_open = true;
    info_.v4_raw = v4_.raw;
    info_.v6_open = v6_.fd >= 0;
    info_.v6_raw = v6_.raw;
    running_ = true;
    // Targets added before start() begin now.
    const Nanos now = monoNow();
    for (std::uint32_t slot = 0; slot < targets_.size(); ++slot) {
      Target& t = *targets_[slot];
      if (t.active) {
        if (channel(t.family).fd < 0) {
          deactivate(slot);
          continue;
        }
        scheduler_.add(slot, t.generation, toNs(t.options.interval), now);
      }
    }
    armTimer(now);
    waitPoller();
    return {};
  }

  void attach(Channel& ch, const Opened& o) {
    setBuffers(o.fd, options_.receive_buffer_bytes);
    if (ch.family == Family::V4) {
      // Echo requests go out with DF and IP ID 0 (an atomic datagram, RFC 6864): an unconnected
      // socket's non-DF datagrams each cost the kernel a hashed IP ID (__ip_select_ident, ~8% of
      // the prober's CPU). The requests are far below any path MTU.
      const int pmtu = IP_PMTUDISC_DO;
      ::setsockopt(o.fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
    }
    ch.fd = o.fd;
    ch.raw = o.raw;
    ch.identifier = o.identifier;
    ch.inflight = 0;
    ch.drained_at = monoNow();
    // Armed once at first: a packet before the first tick wakes the loop once.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u32 = static_cast<std::uint32_t>(ch.family);
    ch.armed = ::epoll_ctl(poller_->native_handle(), EPOLL_CTL_ADD, ch.fd, &ev) == 0;
  }

  void closePoller() {
    if (!poller_) return;
    boost::system::error_code ec;
    poller_->cancel(ec);
    poller_->close(ec);
    poller_.reset();
  }

  void stop() {
    running_ = false;
    timer_.cancel();
    armed_ = false;
    // A later start() schedules the remaining targets afresh; outstanding probes are dropped.
    foldSchedulerStats();
    scheduler_ = SendScheduler(configuredQuantum());
    scheduler_.reserve(targets_.size());
    deadlines_.clear();
    emissions_.clear();
    for (auto& f : inflight_) f.active = false;
    for (auto& t : targets_) t->probes = 0;
    for (Channel* ch : {&v4_, &v6_}) {
      if (ch->fd >= 0) ::close(ch->fd);  // also leaves poller_
      ch->fd = -1;
      ch->armed = false;
      ch->inflight = 0;
      ch->pending = 0;
    }
    closePoller();
  }

  // Counters of a scheduler that stop() is about to replace.
  void foldSchedulerStats() {
    base_late_ += scheduler_.late();
    base_skipped_ += scheduler_.skipped();
    base_max_lateness_ = std::max(base_max_lateness_, scheduler_.maxLateness());
  }

  ProberStats statsNow() const {
    ProberStats s = stats_;
    s.late = base_late_ + scheduler_.late();
    s.skipped = base_skipped_ + scheduler_.skipped();
    s.max_lateness_ns = std::max(base_max_lateness_, scheduler_.maxLateness());
    s.send_quantum_ns = scheduler_.quantum();
    s.burst_bound = scheduler_.burstBound();
    return s;
  }

  static Nanos toNs(Duration d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }

  Channel& channel(Family f) { return f == Family::V4 ? v4_ : v6_; }

  Result<void> addTarget(const std::string& address, TargetOptions opts) {
    if (by_address_.count(address)) return fail(address, "target already probed");
    sockaddr_storage ss{};
    socklen_t len = 0;
    Family fam;
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, address.c_str(), &sin->sin_addr) == 1) {
      sin->sin_family = AF_INET;
      len = sizeof(sockaddr_in);
      fam = Family::V4;
    } else if (::inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) == 1) {
      sin6->sin6_family = AF_INET6;
      len = sizeof(sockaddr_in6);
      fam = Family::V6;
    } else {
      return fail(address, "not an IPv4 or IPv6 address literal");
    }
    if (running_ && channel(fam).fd < 0) {
      return fail(address, "IPv6 ICMP socket unavailable: " + info_.v6_error);
    }
    if (opts.interval <= Duration::zero()) return fail(address, "interval must be positive");
    if (opts.timeout <= Duration::zero()) return fail(address, "timeout must be positive");
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      if (targets_.size() >= (1u << kSlotBits)) return fail(address, "too many targets");
      slot = static_cast<std::uint32_t>(targets_.size());
      targets_.push_back(std::make_unique<Target>());
    }
    Target& t = *targets_[slot];
    t.address = address;
    t.addr = ss;
    t.addr_len = len;
    t.family = fam;
    t.options = opts;
    t.generation = (t.generation + 1) & ((1u << (32 - kSlotBits)) - 1);
    t.active = true;
    t.probes = 0;
    t.sample = ReachSample{};
    t.sample.target = address;
    t.sample.error.reserve(48);
    by_address_.emplace(address, slot);
    if (due_.capacity() < targets_.size()) due_.reserve(targets_.size() * 2);
    if (running_) {
      const Nanos now = monoNow();
      scheduler_.add(slot, t.generation, toNs(opts.interval), now);
      armTimer(now);
    }
    return {};
  }

  void deactivate(std::uint32_t slot) {
    Target& t = *targets_[slot];
    if (!t.active) return;
    t.active = false;
    by_address_.erase(t.address);
    free_.push_back(slot);
  }

  bool removeTarget(const std::string& address) {
    auto it = by_address_.find(address);
    if (it == by_address_.end()) return false;
    const std::uint32_t slot = it->second;
    if (running_) scheduler_.remove(toNs(targets_[slot]->options.interval));
    deactivate(slot);
    return true;
  }

  Target* live(std::uint32_t slot, std::uint32_t generation) {
    if (slot >= targets_.size()) return nullptr;
    Target* t = targets_[slot].get();
    return t->active && t->generation == generation ? t : nullptr;
  }

  // ---- timer and sending ----

  void armTimer(Nanos now) {
    Nanos next = -1;
    if (scheduler_.nextDue() >= 0)
      next = std::max(scheduler_.nextDue(), scheduler_.nextSendable(now));
    if (!deadlines_.empty() && (next < 0 || deadlines_.front().at < next))
      next = deadlines_.front().at;
    if (next < 0 || !running_) return;
    // Coalesce: at most one tick per quantum, so that sends go out in small batches.
    next = std::max(next, last_tick_ + scheduler_.quantum());
    if (armed_ && armed_at_ <= next) return;
    armed_ = true;
    armed_at_ = next;
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next)));
    timer_.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = w.lock()) self->onTick();
    });
  }

  Nanos configuredQuantum() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(options_.send_quantum).count();
  }

  void onTick() {
    armed_ = false;
    if (!running_) return;
    const Nanos now = monoNow();
    last_tick_ = now;
    ++stats_.ticks;
    tick_wall_ = clock_.now();
    // Replies are read here, before deadlines expire (an answered probe is never reported lost)
    // and before this tick's sends: replies to the previous tick's probes waited one quantum in
    // the socket. Their RTTs come from the kernel's arrival stamps, so that wait is not in them.
    if (options_.reply_reading == ReplyReading::Lazy) {
      for (Channel* ch : {&v4_, &v6_}) {
        // A socket without probes in flight holds only foreign packets: read it now and then.
        if (ch->fd >= 0 && (ch->inflight > 0 || now - ch->drained_at >= kIdleDrain)) drain(*ch);
      }
    }
    expireDeadlines(now);
    due_.clear();
    scheduler_.popDue(now, [this](std::uint32_t slot, std::uint32_t gen) {
      Target* t = live(slot, gen);
      if (t == nullptr) return false;
      if (t->options.max_probes != 0 && t->probes >= t->options.max_probes) {
        scheduler_.remove(toNs(t->options.interval));
        return false;
      }
      ++t->probes;
      due_.push_back(slot);
      return true;
    });
    for (std::uint32_t slot : due_) queueProbe(slot, now);
    flush(v4_);
    flush(v6_);
    if (!due_.empty()) {
      stats_.largest_tick = std::max(stats_.largest_tick, due_.size());
      if (observer_) observer_(monoNow(), due_.size());
    }
    emitAll();
    if (!running_) return;
    armTimer(now);
    updateReadiness(now);
  }

  // Arms a one-shot readiness wake-up on each socket with probes in flight, unless a tick comes
  // within kLazyReadHorizon and will read the replies anyway. Left armed when no longer needed:
  // disarming costs a system call, an unneeded wake-up costs one wake-up, once.
  void updateReadiness(Nanos now) {
    const bool tick_soon = armed_ && armed_at_ - now <= toNs(kLazyReadHorizon);
    const bool lazy = options_.reply_reading == ReplyReading::Lazy;
    for (Channel* ch : {&v4_, &v6_}) {
      if (ch->fd < 0 || ch->armed || ch->inflight == 0 || (lazy && tick_soon)) continue;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLONESHOT;
      ev.data.u32 = static_cast<std::uint32_t>(ch->family);
      ch->armed = ::epoll_ctl(poller_->native_handle(), EPOLL_CTL_MOD, ch->fd, &ev) == 0;
    }
  }

  void retire(Inflight& f) {
    f.active = false;
    Channel& ch = channel(f.family);
    if (ch.inflight > 0) --ch.inflight;
  }

  void queueProbe(std::uint32_t slot, Nanos now) {
    Target& t = *targets_[slot];
    Channel& ch = channel(t.family);
    if (ch.fd < 0) return;
    if (ch.pending == kBatch) flush(ch);
    const std::uint16_t seq = next_seq_++;
    Inflight& f = inflight_[seq];
    if (f.active) {
      // The sequence space wrapped within a timeout: the old probe is lost by any measure.
      retire(f);
      push(Emission{f.slot, f.generation, Outcome::Timeout, f.family, 0, 0, 0, 0, f.wall});
      ++stats_.timeouts;
    }
    f.slot = slot;
    f.generation = t.generation;
    f.use = ++use_counter_;
    f.active = true;
    f.family = t.family;
    ++ch.inflight;
    f.payload_ns = now;
    f.send_ns = now;
    f.wall = tick_wall_;
    const std::size_t i = ch.pending++;
    EchoRequest req;
    req.family = t.family;
    req.identifier = ch.identifier;
    req.sequence = seq;
    req.token = slot | (t.generation << kSlotBits);
    req.send_ns = static_cast<std::uint64_t>(now);
    req.payload_size = options_.payload_size;
    encodeEchoRequest(req, {ch.send_buf.data() + i * ch.pkt_len, ch.pkt_len});
    msghdr& h = ch.send_msgs[i].msg_hdr;
    h.msg_name = &t.addr;
    h.msg_namelen = t.addr_len;
    ch.send_seq[i] = seq;
    deadlines_.push_back(Deadline{now + toNs(t.options.timeout), f.use, seq});
    std::push_heap(deadlines_.begin(), deadlines_.end(), laterDeadline);
  }

  void flush(Channel& ch) {
    std::size_t off = 0;
    const std::size_t n = ch.pending;
    while (off < n) {
      // RTT starts here rather than when the tick began: encoding and the queue ahead of this
      // call are not part of the network's round trip.
      const Nanos t = monoNow();
      for (std::size_t k = off; k < n; ++k) inflight_[ch.send_seq[k]].send_ns = t;
      const int r = ::sendmmsg(ch.fd, ch.send_msgs.data() + off, static_cast<unsigned>(n - off), 0);
      ++stats_.send_calls;
      if (r < 0) {
        if (errno == EINTR) continue;
        // The message at `off` failed (no route, link down, buffer full): report it and go on.
        const int e = errno;
        Inflight& f = inflight_[ch.send_seq[off]];
        if (f.active) {
          retire(f);
          push(Emission{f.slot, f.generation, Outcome::SendError, ch.family, 0, 0, e, 0, f.wall});
        }
        ++stats_.send_errors;
        ++off;
        continue;
      }
      // The kernel handles a batch's messages one after another (on loopback, the echo
      // replies are even generated inside this call): spread the send times of the r sent
      // messages linearly over the call instead of charging the whole call to each RTT.
      const Nanos t1 = monoNow();
      for (int k = 1; k < r; ++k) {
        inflight_[ch.send_seq[off + static_cast<std::size_t>(k)]].send_ns = t + (t1 - t) * k / r;
      }
      stats_.sent += static_cast<std::uint64_t>(r);
      off += static_cast<std::size_t>(r);
    }
    ch.pending = 0;
  }

  void expireDeadlines(Nanos now) {
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      std::pop_heap(deadlines_.begin(), deadlines_.end(), laterDeadline);
      const Deadline d = deadlines_.back();
      deadlines_.pop_back();
      Inflight& f = inflight_[d.seq];
      if (!f.active || f.use != d.use) continue;
      retire(f);
      ++stats_.timeouts;
      push(Emission{f.slot, f.generation, Outcome::Timeout, f.family, 0, 0, 0, 0, f.wall});
    }
  }

  // ---- receiving ----

  // One wait is always pending on poller_; it completes only when a socket armed there
  // becomes readable (or reports an error).
  void waitPoller() {
    poller_->async_wait(asio::posix::descriptor_base::wait_read,
                        [w = weak_from_this()](const boost::system::error_code& ec) {
                          if (ec) return;
                          if (auto self = w.lock()) self->onPollerReady();
                        });
  }

  void onPollerReady() {
    if (!running_ || !poller_) return;
    ++stats_.read_wakeups;
    std::array<epoll_event, 2> ev{};
    // Collecting the events disarms the one-shot registrations that fired.
    const int n = ::epoll_wait(poller_->native_handle(), ev.data(), static_cast<int>(ev.size()), 0);
    for (int i = 0; i < n; ++i) {
      Channel& ch = channel(static_cast<Family>(ev[static_cast<std::size_t>(i)].data.u32));
      ch.armed = false;
      if (ch.fd >= 0) drain(ch);
    }
    emitAll();
    if (!running_) return;
    updateReadiness(monoNow());
    waitPoller();
  }

  // Reads every queued packet of a socket (recvmmsg, MSG_DONTWAIT) and matches it.
  void drain(Channel& ch) {
    int errors = 0;
    for (;;) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        ch.recv_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        ch.recv_msgs[i].msg_hdr.msg_flags = 0;
        ch.recv_msgs[i].msg_hdr.msg_controllen = kControlSize;
        ch.recv_msgs[i].msg_len = 0;
      }
      const int r = ::recvmmsg(ch.fd, ch.recv_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      ++stats_.recv_calls;
      if (r < 0) {
        if (errno == EINTR) continue;
        // EAGAIN: drained. Datagram sockets report ICMP errors as a pending socket error
        // (EHOSTUNREACH...) without saying which probe; that probe then times out. Reading
        // clears the error; the bound only guards against one that would not clear.
        if (errno == EAGAIN || errno == EWOULDBLOCK || ++errors > 16) break;
        continue;
      }
      // The kernel stamps arrival (SO_TIMESTAMPNS) on CLOCK_REALTIME; mapping it onto the
      // monotonic clock with an offset read now keeps event-loop latency out of the RTT.
      const Nanos now = monoNow();
      const Nanos offset = realNow() - now;
      for (int i = 0; i < r; ++i) {
        handlePacket(ch, static_cast<std::size_t>(i),
                     arrival(ch.recv_msgs[static_cast<std::size_t>(i)].msg_hdr, now, offset));
      }
      // A short read means the queue is empty.
      if (static_cast<std::size_t>(r) < kBatch) break;
    }
    ch.drained_at = monoNow();
  }

  static Nanos arrival(msghdr& h, Nanos now, Nanos offset) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        const Nanos at = Nanos{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec - offset;
        // A wall-clock step between the two readings would put it outside; then use now.
        if (at <= now && at > now - 1'000'000'000) return at;
      }
    }
    return now;
  }

  void handlePacket(Channel& ch, std::size_t i, Nanos now) {
    const auto len = std::min<std::size_t>(ch.recv_msgs[i].msg_len, kRecvSlot);
    auto decoded = decodeIcmp(ch.family, {ch.recv_buf.data() + i * kRecvSlot, len},
                              ch.family == Family::V4 && ch.raw);
    if (!decoded) {
      ++stats_.ignored;
      return;
    }
    const IcmpMessage& m = *decoded;
    if (m.identifier != ch.identifier) {
      ++stats_.ignored;
      return;
    }
    Inflight& f = inflight_[m.sequence];
    if (!f.active || (m.has_payload && m.token != (f.slot | (f.generation << kSlotBits)))) {
      ++stats_.ignored;  // late (already timed out), duplicate, or another prober's
      return;
    }
    Target* t = live(f.slot, f.generation);
    if (m.kind == MessageKind::EchoReply) {
      if (m.send_ns != static_cast<std::uint64_t>(f.payload_ns) ||
          (t && !sameAddress(t->addr, ch.recv_from[i]))) {
        ++stats_.ignored;
        return;
      }
      retire(f);
      ++stats_.replies;
      push(Emission{f.slot, f.generation, Outcome::Reply, ch.family, 0, 0, 0,
                    static_cast<double>(std::max<Nanos>(now - f.send_ns, 0)) / 1e6, f.wall});
      return;
    }
    retire(f);
    ++stats_.icmp_errors;
    push(Emission{f.slot, f.generation, Outcome::IcmpError, ch.family, m.type, m.code, 0, 0,
                  f.wall});
  }

  // ---- emitting ----

  void push(const Emission& e) { emissions_.push_back(e); }

  // Samples are emitted after the socket work of a tick or read, so that a callback which adds
  // or removes targets never runs while a batch still points at a target's address.
  void emitAll() {
    for (std::size_t k = 0; k < emissions_.size() && running_; ++k) {
      const Emission e = emissions_[k];
      Target* t = live(e.slot, e.generation);
      if (t == nullptr) continue;
      ReachSample& s = t->sample;
      s.time = e.wall;
      s.replied = e.outcome == Outcome::Reply;
      if (s.replied) {
        s.rtt_ms = e.rtt_ms;
        s.rtt = std::chrono::round<Duration>(std::chrono::duration<double, std::milli>(e.rtt_ms));
        s.error.clear();
      } else {
        s.rtt_ms.reset();
        s.rtt.reset();
        switch (e.outcome) {
          case Outcome::Timeout:
            s.error = "timeout";
            break;
          case Outcome::IcmpError:
            s.error = describeError(e.family, e.type, e.code);
            break;
          case Outcome::SendError:
            s.error = "send failed: ";
            s.error += std::strerror(e.err);
            break;
          case Outcome::Reply:
            break;
        }
      }
      if (callback_) callback_(s);
    }
    emissions_.clear();
  }

  asio::io_context& io_;
  const Clock& clock_;
  Callback callback_;
  ProberOptions options_;
  SendScheduler scheduler_;
  asio::steady_timer timer_;
  std::optional<asio::posix::stream_descriptor> poller_;  // epoll set of the two sockets
  Channel v4_;
  Channel v6_;
  SocketInfo info_;
  ProberStats stats_;
  SendObserver observer_;
  bool running_ = false;
  bool armed_ = false;
  Nanos armed_at_ = 0;
  Nanos last_tick_ = 0;
  TimePoint tick_wall_{};
  std::uint64_t base_late_ = 0;
  std::uint64_t base_skipped_ = 0;
  Nanos base_max_lateness_ = 0;
  std::uint16_t raw_identifier_ = 0;
  std::uint16_t next_seq_ = 0;
  std::uint32_t use_counter_ = 0;
  std::vector<std::unique_ptr<Target>> targets_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::string, std::uint32_t> by_address_;
  std::vector<Inflight> inflight_;
  std::vector<Deadline> deadlines_;
  std::vector<Emission> emissions_;
  std::vector<std::uint32_t> due_;
};

IcmpProber::IcmpProber(boost::asio::io_context& io, const Clock& clock, Callback on_sample,
                       ProberOptions options)
    : impl_(std::make_shared<Impl>(io, clock, std::move(on_sample), options)) {}

IcmpProber::~IcmpProber() { impl_->stop(); }

Result<void> IcmpProber::start() { return impl_->start(); }
void IcmpProber::stop() { impl_->stop(); }
Result<void> IcmpProber::addTarget(const std::string& address, TargetOptions options) {
  return impl_->addTarget(address, options);
}
bool IcmpProber::removeTarget(const std::string& address) { return impl_->removeTarget(address); }
std::size_t IcmpProber::targetCount() const { return impl_->by_address_.size(); }
ProberStats IcmpProber::stats() const { return impl_->statsNow(); }
SocketInfo IcmpProber::socketInfo() const { return impl_->info_; }
void IcmpProber::setSendObserver(SendObserver observer) { impl_->observer_ = std::move(observer); }

}  // namespace circuitd::icmp
