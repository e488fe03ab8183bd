// The active test through a real shaped link: two network namespaces made by the test, a veth
// pair between them, `tc qdisc tbf rate 20mbit` on the sender's side, the shipped
// circuit-reflector binary in the far namespace and the sender library in the near one.
// Needs root, `ip` and `tc`: without them the test fails, it does not skip.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "probes/throughput/twamp_transport.hpp"

namespace tp = circuitd::throughput;

namespace {

int sh(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string capture(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof(buf), f)) out += buf;
    ::pclose(f);
  }
  return out;
}

/// Two namespaces joined by a shaped veth pair, removed again in the destructor.
class ShapedLink : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root to create network namespaces";
    ASSERT_EQ(sh("command -v ip"), 0) << "`ip` (iproute2) is required";
    ASSERT_EQ(sh("command -v tc"), 0) << "`tc` (iproute2) is required";
    const std::string id = std::to_string(::getpid());
    ns_s_ = "cdtp-s-" + id;
    ns_r_ = "cdtp-r-" + id;
    dev_s_ = "tps" + id;
    dev_r_ = "tpr" + id;
    made_ = true;
    ASSERT_EQ(sh("ip netns add " + ns_s_), 0);
    ASSERT_EQ(sh("ip netns add " + ns_r_), 0);
    ASSERT_EQ(sh("ip link add " + dev_s_ + " netns " + ns_s_ + " type veth peer name " + dev_r_ +
                 " netns " + ns_r_), 0);
    // Private addresses exist only inside these two namespaces.
    ASSERT_EQ(sh("ip -n " + ns_s_ + " addr add 10.203.0.1/30 dev " + dev_s_), 0);
    ASSERT_EQ(sh("ip -n " + ns_r_ + " addr add 10.203.0.2/30 dev " + dev_r_), 0);
    for (const auto& [ns, dev] : {std::pair{ns_s_, dev_s_}, std::pair{ns_r_, dev_r_}}) {
      ASSERT_EQ(sh("ip -n " + ns + " link set lo up"), 0);
      ASSERT_EQ(sh("ip -n " + ns + " link set " + dev + " up"), 0);
    }
    // burst must hold at least one full frame; latency 50 ms gives a 125 kB queue, so a sender
    // that offers more than 20 Mbit/s overflows the queue and the shaper sets the rate.
    ASSERT_EQ(sh("tc -n " + ns_s_ + " qdisc add dev " + dev_s_ +
                 " root tbf rate 20mbit burst 32kbit latency 50ms"), 0);
    startReflector();
  }

  void TearDown() override {
    if (reflector_pid_ > 0) {
      ::kill(reflector_pid_, SIGTERM);
      int status = 0;
      ::waitpid(reflector_pid_, &status, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (made_) {
      sh("ip netns del " + ns_s_);
      sh("ip netns del " + ns_r_);
      EXPECT_NE(sh("ip netns list | grep -q " + ns_s_), 0) << "namespace left behind";
    }
  }

  void startReflector() {
    const std::string bin = std::string(CIRCUITD_BINARY_DIR) + "/tools/circuit-reflector/circuit-reflector";
    ASSERT_EQ(::access(bin.c_str(), X_OK), 0) << bin << " is not built";
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    reflector_pid_ = ::fork();
    ASSERT_GE(reflector_pid_, 0);
    if (reflector_pid_ == 0) {
      ::dup2(pipefd[1], 1);
      ::close(pipefd[0]);
      ::execlp("ip", "ip", "netns", "exec", ns_r_.c_str(), bin.c_str(), "--listen",
               "10.203.0.2:862", "--max-rate", "100M", "--max-duration", "30", nullptr);
      ::_exit(127);
    }
    ::close(pipefd[1]);
    out_fd_ = pipefd[0];
    // Wait for its "listening" line instead of sleeping.
    pollfd p{out_fd_, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1) << "reflector did not start";
    char buf[256] = {};
    ASSERT_GT(::read(out_fd_, buf, sizeof(buf) - 1), 0);
    ASSERT_NE(std::string(buf).find("listening on 10.203.0.2:862"), std::string::npos) << buf;
  }

  /// Runs the sender inside the sender namespace (setns applies to the calling thread only).
  circuitd::Result<tp::TestReport> runInSenderNs(const tp::TestPlan& plan, const tp::TestLimits& lim) {
    circuitd::Result<tp::TestReport> out = circuitd::fail("thread", "did not run");
    std::thread t([&] {
      const int fd = ::open(("/run/netns/" + ns_s_).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        out = circuitd::fail("setns", "cannot enter " + ns_s_);
        return;
      }
      ::close(fd);
      out = tp::runTest(plan, lim);
    });
    t.join();
    return out;
  }

  /// UDP datagrams that reached the reflector's namespace (delivered, to no port, or in error).
  /// Interface counters would also count the IPv6 neighbour discovery a fresh veth sends.
  std::uint64_t reflectorRxPackets() {
    return std::stoull("0" + capture("ip netns exec " + ns_r_ +
                                     " awk '/^Udp: [0-9]/ {print $2 + $3 + $4}' /proc/net/snmp"));
  }

  static tp::TestPlan plan(double rate, double seconds) {
    tp::TestPlan p;
    p.host = "10.203.0.2";
    p.port = 862;
    p.rate_bps = rate;
    p.seconds = seconds;
    p.packet_size = 1400;
    p.drain_seconds = 0.5;
    return p;
  }

  std::string ns_s_, ns_r_, dev_s_, dev_r_;
  bool made_ = false;
  pid_t reflector_pid_ = -1;
  int out_fd_ = -1;
};

}  // namespace

TEST_F(ShapedLink, MeasuresTheShapedRateOf20MbitWithinTenPercent) {
  tp::TestLimits lim;
  lim.contracted_bps = 30e6;  // offer more than the shaper passes
  auto rep = runInSenderNs(plan(30e6, 4), lim);
  ASSERT_TRUE(rep) << rep.error().str();
  std::printf("%s", tp::formatReport(*rep).c_str());
  EXPECT_NEAR(rep->reflector_rx_bps, 20e6, 2e6);
  EXPECT_NEAR(rep->returned_bps, 20e6, 2e6);
  EXPECT_GT(rep->forward_loss, 0.2);   // a third of 30 Mbit/s cannot pass
  EXPECT_LT(rep->reverse_loss, 0.01);  // the way back is not shaped
  ASSERT_TRUE(rep->rtt_avg_ms);
  EXPECT_GT(*rep->rtt_avg_ms, 5.0);    // the full tbf queue adds tens of milliseconds
}

TEST_F(ShapedLink, BelowTheShapedRateEverythingPasses) {
  tp::TestLimits lim;
  lim.contracted_bps = 20e6;
  auto rep = runInSenderNs(plan(10e6, 3), lim);
  ASSERT_TRUE(rep) << rep.error().str();
  std::printf("%s", tp::formatReport(*rep).c_str());
  EXPECT_NEAR(rep->reflector_rx_bps, 10e6, 1e6);
  EXPECT_LT(rep->forward_loss, 0.01);
  EXPECT_EQ(*rep->hops, 0);  // one veth hop between namespaces routes nothing
}

TEST_F(ShapedLink, LowRatePacketTrainsEstimateTheShapedCapacity) {
  // 2 Mbit/s on average, a tenth of the line, in trains of 30 back-to-back packets.
  tp::TestLimits lim;
  lim.contracted_bps = 20e6;
  auto p = plan(2e6, 3);
  p.train_length = 30;
  auto rep = runInSenderNs(p, lim);
  ASSERT_TRUE(rep) << rep.error().str();
  std::printf("%s", tp::formatReport(*rep).c_str());
  EXPECT_LT(rep->forward_loss, 0.01);
  EXPECT_GE(rep->trains_used, 10u);
  ASSERT_TRUE(rep->capacity_bps);
  // tbf lets its 4 kB bucket through at line rate, so the estimate sits a few percent high.
  EXPECT_NEAR(*rep->capacity_bps, 20e6, 2e6);
  // The stated error grows with scheduling noise on a loaded host; it must be stated and finite.
  ASSERT_TRUE(rep->capacity_error_bps);
  EXPECT_GT(*rep->capacity_error_bps, 0.0);
  EXPECT_LT(*rep->capacity_error_bps, 0.5 * *rep->capacity_bps);
}

TEST_F(ShapedLink, GuardRefusesARateAboveTheContractAndSendsNothing) {
  tp::TestLimits lim;
  lim.contracted_bps = 20e6;
  const auto before = reflectorRxPackets();
  auto rep = runInSenderNs(plan(25e6, 2), lim);
  ASSERT_FALSE(rep);
  EXPECT_NE(rep.error().what.find("contracted"), std::string::npos) << rep.error().str();
  EXPECT_EQ(reflectorRxPackets(), before);
}
