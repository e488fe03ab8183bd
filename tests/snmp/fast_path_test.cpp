// The v2c GET path against a misbehaving agent: a UDP proxy on 127.0.0.1 in front of Debian's
// real snmpd that passes GETBULK walks through untouched and answers the poller's GETs with a
// forged or broken datagram first (truncated, wrong community, wrong request-id, wrong source
// port, wrong PDU type, oversized length) and the genuine reply after it, or drops the first
// requests, or sets error-status. The poller must count and drop every bad datagram, never
// accept one, and keep its retry and backoff behaviour.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "probes/snmp/ber.hpp"
#include "tests/support/snmp_agents.hpp"

using namespace circuitd;
using namespace circuitd::snmp;
using circuitd::testing::freeUdpPort;
using circuitd::testing::PollHarness;
using circuitd::testing::requireTool;
using circuitd::testing::RoundResult;
using circuitd::testing::ScratchDir;
using circuitd::testing::SnmpdSuite;
using circuitd::testing::startSnmpProgram;
using namespace std::chrono_literals;

namespace {

using Bytes = std::vector<std::uint8_t>;

enum class Mode {
  PassThrough,
  DropFirst,
  Truncated,
  WrongCommunity,
  WrongRequestId,
  WrongSourcePort,
  WrongPduType,
  OversizedLength,
  ErrorStatus
};

/// Offset of the content of the TLV whose header starts at `at`.
std::size_t contentOf(const Bytes& b, std::size_t at) {
  const std::uint8_t l = b.at(at + 1);
  return at + 2 + ((l & 0x80) ? (l & 0x7f) : 0);
}

class Socket {
 public:
  Socket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Socket() { ::close(fd_); }
  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// The proxy between the poller and snmpd.
class MutatingProxy {
 public:
  MutatingProxy(std::uint16_t upstream, Mode mode, int n = 1)
      : upstream_(upstream), mode_(mode), n_(n) {
    thread_ = std::thread([this] { run(); });
  }
  ~MutatingProxy() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return front_.port(); }
  int gets() const { return gets_; }        ///< GetRequests seen
  int mutated() const { return mutated_; }  ///< replies forged, broken or withheld

 private:
  struct Client {
    sockaddr_in addr{};
    std::unique_ptr<Socket> up;
  };

  static bool parseRequest(const Bytes& b, std::uint8_t& tag, std::int32_t& reqid) {
    try {
      std::size_t p = contentOf(b, 0);
      p = contentOf(b, p) + b.at(p + 1);
      const std::size_t pdu = contentOf(b, p) + b.at(p + 1);
      tag = b.at(pdu);
      const std::size_t rid = contentOf(b, pdu);
      const std::size_t c = contentOf(b, rid);
      std::uint32_t v = 0;
      for (std::size_t i = c; i < c + b.at(rid + 1); ++i) v = (v << 8) | b.at(i);
      reqid = static_cast<std::int32_t>(v);
      return true;
    } catch (const std::out_of_range&) {
      return false;
    }
  }

  void sendTo(int fd, const Bytes& b, const sockaddr_in& to) {
    ::sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }

  void reply(const Client& c, Bytes b) {
    ResponseView r;
    const bool is_get =
        parseResponse(b.data(), b.size(), r) == ResponseCheck::Ok && get_ids_.count(r.request_id);
    if (!is_get || mode_ == Mode::PassThrough || mode_ == Mode::DropFirst)
      return sendTo(front_.fd(), b, c.addr);
    ++mutated_;
    // Offsets of the fields in the genuine reply.
    std::size_t p = contentOf(b, 0);
    p = contentOf(b, p) + b[p + 1];  // past version
    const std::size_t community = contentOf(b, p);
    const std::size_t pdu = community + b[p + 1];  // communities here are short
    const std::size_t rid = contentOf(b, pdu);
    const std::size_t err = contentOf(b, rid) + b[rid + 1];
    Bytes bad = b;
    switch (mode_) {
      case Mode::Truncated:
        bad.resize(bad.size() - 7);
        break;
      case Mode::WrongCommunity:
        bad[community] ^= 0x20;
        break;
      case Mode::WrongRequestId:
        bad[contentOf(b, rid) + b[rid + 1] - 1] ^= 0x01;
        break;
      case Mode::WrongPduType:
        bad[pdu] = 0xa0;
        break;
      case Mode::OversizedLength: {
        bad = Bytes{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff};
        bad.insert(bad.end(), b.begin() + static_cast<std::ptrdiff_t>(contentOf(b, 0)), b.end());
        break;
      }
      case Mode::ErrorStatus:
        bad[contentOf(b, err)] = 5;               // genErr
        bad[contentOf(b, err + 3)] = 1;           // at varbind 1
        return sendTo(front_.fd(), bad, c.addr);  // no genuine reply
      case Mode::WrongSourcePort:
        sendTo(other_.fd(), b, c.addr);
        break;
      default:
        break;
    }
    if (mode_ != Mode::WrongSourcePort) sendTo(front_.fd(), bad, c.addr);
    std::this_thread::sleep_for(10ms);  // the broken one is read first
    sendTo(front_.fd(), b, c.addr);
  }

  void run() {
    sockaddr_in agent{};
    agent.sin_family = AF_INET;
    agent.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    agent.sin_port = htons(upstream_);
    std::map<std::uint64_t, Client> clients;
    Bytes buf(65536);
    while (!stop_) {
      std::vector<pollfd> fds{{front_.fd(), POLLIN, 0}};
      std::vector<Client*> owners{nullptr};
      for (auto& [k, c] : clients) {
        fds.push_back({c.up->fd(), POLLIN, 0});
        owners.push_back(&c);
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        const auto n = ::recvfrom(fds[i].fd, buf.data(), buf.size(), 0,
                                  reinterpret_cast<sockaddr*>(&from), &fl);
        if (n <= 0) continue;
        Bytes d(buf.begin(), buf.begin() + n);
        if (i > 0) {
          reply(*owners[i], std::move(d));
          continue;
        }
        const std::uint64_t key = (std::uint64_t{from.sin_addr.s_addr} << 16) | from.sin_port;
        auto& c = clients[key];
        if (!c.up) {
          c.addr = from;
          c.up = std::make_unique<Socket>();
        }
        std::uint8_t tag = 0;
        std::int32_t reqid = 0;
        if (parseRequest(d, tag, reqid) && tag == 0xa0) {
          ++gets_;
          get_ids_.insert(reqid);
          if (mode_ == Mode::DropFirst && dropped_ < n_) {
            ++dropped_;
            ++mutated_;
            continue;
          }
        }
        sendTo(c.up->fd(), d, agent);
      }
    }
  }

  std::uint16_t upstream_;
  Mode mode_;
  int n_;
  int dropped_ = 0;
  Socket front_, other_;
  std::set<std::int32_t> get_ids_;
  std::atomic<int> gets_{0}, mutated_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class FastPathTest : public SnmpdSuite {
 protected:
  static PollTarget target(std::uint16_t port) {
    PollTarget t;
    t.device = "d";
    t.address = "127.0.0.1";
    t.port = port;
    t.credentials.community = "public";
    t.interfaces = {"lo"};
    t.timeout = 1s;
    t.retries = 1;
    return t;
  }

  /// One round through a proxy in `mode`: the round succeeds with the genuine reply and the
  /// broken datagram is counted once per GET.
  void expectDroppedAndRoundOk(Mode mode, std::uint64_t ReplyDrops::*counter) {
    MutatingProxy proxy(agent_->port(), mode);
    PollHarness h;
    ASSERT_EQ(h.add(target(proxy.port())), "");
    const auto r = h.round("d");
    ASSERT_TRUE(r.device.has_value());
    EXPECT_TRUE(r.device->reachable) << r.device->error;
    EXPECT_EQ(r.device->error, "");
    ASSERT_EQ(r.samples.size(), 1u);
    EXPECT_EQ(r.samples[0].if_index, 1);
    EXPECT_TRUE(r.samples[0].in_octets.has_value());
    const auto& st = h.poller().stats();
    EXPECT_GE(proxy.gets(), 1);
    EXPECT_EQ(proxy.mutated(), proxy.gets());
    EXPECT_EQ(st.dropped.*counter, static_cast<std::uint64_t>(proxy.mutated()));
    EXPECT_EQ(st.dropped.total(), st.dropped.*counter);
    EXPECT_EQ(st.timeouts, 0u);
  }
};

}  // namespace

TEST_F(FastPathTest, PassThroughProxyIsTransparent) {
  MutatingProxy proxy(agent_->port(), Mode::PassThrough);
  PollHarness h;
  ASSERT_EQ(h.add(target(proxy.port())), "");
  const auto r = h.round("d");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_TRUE(r.device->reachable) << r.device->error;
  EXPECT_EQ(proxy.gets(), 1);
  EXPECT_EQ(h.poller().stats().dropped.total(), 0u);
}

TEST_F(FastPathTest, TruncatedReplyIsDropped) {
  expectDroppedAndRoundOk(Mode::Truncated, &ReplyDrops::malformed);
}

TEST_F(FastPathTest, OversizedLengthIsDropped) {
  expectDroppedAndRoundOk(Mode::OversizedLength, &ReplyDrops::malformed);
}

TEST_F(FastPathTest, WrongCommunityIsDropped) {
  expectDroppedAndRoundOk(Mode::WrongCommunity, &ReplyDrops::wrong_community);
}

TEST_F(FastPathTest, WrongRequestIdIsDropped) {
  expectDroppedAndRoundOk(Mode::WrongRequestId, &ReplyDrops::unknown_request);
}

TEST_F(FastPathTest, ReplyFromAnotherPortIsDropped) {
  expectDroppedAndRoundOk(Mode::WrongSourcePort, &ReplyDrops::wrong_source);
}

TEST_F(FastPathTest, OtherPduTypeIsDropped) {
  expectDroppedAndRoundOk(Mode::WrongPduType, &ReplyDrops::not_response);
}

TEST_F(FastPathTest, ErrorStatusFailsTheRoundWithItsName) {
  MutatingProxy proxy(agent_->port(), Mode::ErrorStatus);
  PollHarness h;
  ASSERT_EQ(h.add(target(proxy.port())), "");
  const auto r = h.round("d");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_FALSE(r.device->reachable);
  EXPECT_EQ(r.device->error, "agent error-status 5 at varbind 1");
  EXPECT_TRUE(r.samples.empty());
  EXPECT_EQ(h.poller().stats().retries, 0u);
}

TEST_F(FastPathTest, DroppedRequestsAreRetriedWithBackoff) {
  MutatingProxy proxy(agent_->port(), Mode::DropFirst, 2);
  PollHarness h;
  auto t = target(proxy.port());
  t.timeout = 200ms;
  t.retries = 2;
  ASSERT_EQ(h.add(t), "");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = h.round("d");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.device.has_value());
  EXPECT_TRUE(r.device->reachable) << r.device->error;
  EXPECT_EQ(r.samples.size(), 1u);
  EXPECT_EQ(proxy.gets(), 3);
  const auto& st = h.poller().stats();
  EXPECT_EQ(st.timeouts, 2u);
  EXPECT_EQ(st.retries, 2u);
  // The second attempt waited 200 ms, the third 400 ms (a lower bound, not a speed check).
  EXPECT_GE(took, 600ms);
}

TEST_F(FastPathTest, RetriesExhaustedIsATimeout) {
  MutatingProxy proxy(agent_->port(), Mode::DropFirst, 100);
  PollHarness h;
  auto t = target(proxy.port());
  t.timeout = 100ms;
  t.retries = 1;
  ASSERT_EQ(h.add(t), "");
  const auto r = h.round("d");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_FALSE(r.device->reachable);
  EXPECT_EQ(r.device->error, "timeout");
  EXPECT_EQ(proxy.gets(), 2);
  // The next round starts afresh on the same request objects.
  EXPECT_EQ(h.round("d").device->error, "timeout");
  EXPECT_EQ(proxy.gets(), 4);
}

TEST(FastPathV6Test, PollsAnIpv6AgentOverTheSharedV6Socket) {
  ASSERT_TRUE(requireTool("/usr/sbin/snmpd"));
  ScratchDir scratch("circuitd-snmp-");
  const std::string dir = scratch.path().string();
  const auto port = freeUdpPort();
  const std::string conf = dir + "/snmpd.conf";
  std::ofstream(conf) << "rocommunity6 public ::1\n";
  const auto snmpd = startSnmpProgram({"/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", conf, "-M",
                                       "/dev/null", "udp6:[::1]:" + std::to_string(port)},
                                      dir, dir + "/snmpd.log");
  PollHarness h;
  PollTarget t;
  t.device = "v6";
  t.address = "::1";
  t.port = port;
  t.credentials.community = "public";
  t.interfaces = {"lo"};
  t.timeout = 300ms;
  t.retries = 0;
  ASSERT_EQ(h.add(t), "");
  // snmpd needs a moment to bind; a round before that is a timeout.
  RoundResult r;
  for (int i = 0; i < 50; ++i) {
    r = h.round("v6");
    if (r.device && r.device->reachable) break;
    ASSERT_FALSE(snmpd->tryWait().has_value()) << "snmpd exited";
  }
  ASSERT_TRUE(r.device.has_value());
  ASSERT_TRUE(r.device->reachable) << r.device->error;
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_EQ(r.samples[0].if_index, 1);
  // A second round goes over the v6 GET socket only (the walk was in the first).
  const auto before = h.poller().stats().datagrams;
  const auto second = h.round("v6");
  ASSERT_TRUE(second.device.has_value());
  EXPECT_TRUE(second.device->reachable) << second.device->error;
  EXPECT_EQ(h.poller().stats().datagrams, before + 1);
  EXPECT_EQ(h.poller().stats().dropped.total(), 0u);
}
