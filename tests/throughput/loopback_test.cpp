// Sender and reflector talking over real UDP sockets on loopback (127.0.0.1 and ::1, port 0):
// the reflector's own rate and duration guards, malformed requests, IPv6.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "probes/throughput/twamp_transport.hpp"

namespace tp = circuitd::throughput;

namespace {

/// A reflector serving on its own thread for the lifetime of the object.
class RunningReflector {
 public:
  explicit RunningReflector(tp::Reflector::Options opt) {
    auto r = tp::Reflector::open(opt);
    if (!r) {
      ADD_FAILURE() << r.error().str();
      return;
    }
    refl_ = std::move(*r);
    thread_ = std::thread([this] { refl_->run(); });
  }
  ~RunningReflector() {
    if (refl_) refl_->stop();
    if (thread_.joinable()) thread_.join();
  }
  tp::Reflector& operator*() { return *refl_; }
  tp::Reflector* operator->() { return refl_.get(); }

 private:
  std::unique_ptr<tp::Reflector> refl_;
  std::thread thread_;
};

tp::TestPlan planTo(const std::string& host, std::uint16_t port, double rate, double seconds,
                    std::size_t size) {
  tp::TestPlan p;
  p.host = host;
  p.port = port;
  p.rate_bps = rate;
  p.seconds = seconds;
  p.packet_size = size;
  p.drain_seconds = 0.3;
  return p;
}

}  // namespace

TEST(TwampLoopbackTest, LowRateTestReturnsEveryPacketAtTheOfferedRate) {
  tp::Reflector::Options opt;
  opt.host = "127.0.0.1";
  opt.port = 0;
  RunningReflector refl(opt);
  auto rep = tp::runTest(planTo("127.0.0.1", refl->port(), 4e6, 1.0, 500), {});
  ASSERT_TRUE(rep) << rep.error().str();
  EXPECT_EQ(rep->wire_size, 528U);
  EXPECT_NEAR(static_cast<double>(rep->sent), 4e6 / (528 * 8), 1.0);
  EXPECT_EQ(rep->returned, rep->sent);
  EXPECT_EQ(rep->reflected, rep->sent);
  EXPECT_DOUBLE_EQ(rep->forward_loss, 0.0);
  EXPECT_NEAR(rep->reflector_rx_bps, 4e6, 4e6 * 0.05);
  EXPECT_NEAR(rep->sent_bps, 4e6, 4e6 * 0.05);
  ASSERT_TRUE(rep->rtt_avg_ms);
  EXPECT_GT(*rep->rtt_min_ms, 0.0);
  EXPECT_LT(*rep->rtt_avg_ms, 50.0);
  ASSERT_TRUE(rep->hops);
  EXPECT_EQ(*rep->hops, 0);  // loopback does not decrement the TTL the sender set to 255
  EXPECT_EQ(refl->counters().reflected, rep->sent);
}

TEST(TwampLoopbackTest, WorksOverIpv6) {
  tp::Reflector::Options opt;
  opt.host = "::1";
  opt.port = 0;
  RunningReflector refl(opt);
  auto rep = tp::runTest(planTo("::1", refl->port(), 1e6, 0.5, 200), {});
  ASSERT_TRUE(rep) << rep.error().str();
  EXPECT_EQ(rep->wire_size, 248U);
  EXPECT_GT(rep->sent, 200U);
  EXPECT_EQ(rep->returned, rep->sent);
  EXPECT_NE(rep->target.find("[::1]"), std::string::npos);
}

TEST(TwampLoopbackTest, ReflectorDropsWhatExceedsItsRateCap) {
  tp::Reflector::Options opt;
  opt.host = "127.0.0.1";
  opt.port = 0;
  opt.max_rate_bps = 1e6;
  RunningReflector refl(opt);
  auto rep = tp::runTest(planTo("127.0.0.1", refl->port(), 4e6, 2.0, 972), {});
  ASSERT_TRUE(rep) << rep.error().str();
  const auto c = refl->counters();
  EXPECT_GT(c.dropped_rate, 0U);
  // 2 s at 1 Mbit/s plus a 100 ms bucket, of 8000-bit packets.
  EXPECT_NEAR(static_cast<double>(c.reflected), (2.0 + 0.1) * 1e6 / 8000, 15);
  EXPECT_NEAR(rep->forward_loss, 0.75, 0.05);
  EXPECT_NEAR(rep->reflector_rx_bps, 1e6, 0.15e6);
}

TEST(TwampLoopbackTest, ReflectorStopsASessionAfterItsMaximumDuration) {
  tp::Reflector::Options opt;
  opt.host = "127.0.0.1";
  opt.port = 0;
  opt.max_session_seconds = 0.5;
  RunningReflector refl(opt);
  auto rep = tp::runTest(planTo("127.0.0.1", refl->port(), 1e6, 1.5, 472), {});
  ASSERT_TRUE(rep) << rep.error().str();
  const auto c = refl->counters();
  EXPECT_GT(c.dropped_duration, 0U);
  EXPECT_NEAR(static_cast<double>(rep->returned) / static_cast<double>(rep->sent), 1.0 / 3.0, 0.05);
}

TEST(TwampLoopbackTest, ReflectorCountsMalformedRequestsAndDoesNotAnswer) {
  tp::Reflector::Options opt;
  opt.host = "127.0.0.1";
  opt.port = 0;
  RunningReflector refl(opt);
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(refl->port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::uint8_t shortPacket[5] = {0, 0, 0, 1, 2};
  std::uint8_t zeroMultiplier[14] = {};
  ASSERT_EQ(::sendto(fd, shortPacket, sizeof(shortPacket), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to)),
            5);
  ASSERT_EQ(::sendto(fd, zeroMultiplier, sizeof(zeroMultiplier), 0,
                     reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            14);
  timeval tv{0, 300000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::uint8_t buf[100];
  EXPECT_LT(::recv(fd, buf, sizeof(buf), 0), 0);  // no answer within 300 ms
  ::close(fd);
  const auto c = refl->counters();
  EXPECT_EQ(c.received, 2U);
  EXPECT_EQ(c.malformed, 2U);
  EXPECT_EQ(c.reflected, 0U);
}

TEST(TwampLoopbackTest, NoReflectorMeansFullLossAndTheReasonIsReported) {
  // Bind and close a socket to get a loopback port with nobody listening.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  auto rep = tp::runTest(planTo("127.0.0.1", ntohs(a.sin_port), 1e6, 0.3, 200), {});
  ASSERT_TRUE(rep) << rep.error().str();
  EXPECT_EQ(rep->returned, 0u);
  EXPECT_DOUBLE_EQ(rep->forward_loss, 1.0);
  // The kernel's global ICMP budget (icmp_msgs_per_sec) may swallow the port unreachable when
  // other programs on the host send many ICMP messages; when it does arrive it is reported.
  if (!rep->send_error.empty()) {
    EXPECT_NE(rep->send_error.find("refused"), std::string::npos) << rep->send_error;
  }
}
