// The active test through a real shaped link: two network namespaces made by the test, a veth
// pair between them, `tc qdisc tbf rate 20mbit` on the sender's side, the shipped
// circuit-reflector binary in the far namespace and the sender library in the near one.
// Needs root, `ip` and `tc`: without them the test fails, it does not skip.
#include "tests/support/netns.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "probes/throughput/twamp_transport.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace tp = circuitd::throughput;
using namespace std::chrono_literals;
using circuitd::testing::haveTool;
using circuitd::testing::netnsExists;
using circuitd::testing::Process;
using circuitd::testing::ScratchDir;
using circuitd::testing::SpawnOptions;
using circuitd::testing::VethLink;

namespace {

/// Two namespaces joined by a shaped veth pair, removed again in the destructor.
class ShapedLink : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root to create network namespaces";
    ASSERT_TRUE(haveTool("ip")) << "`ip` (iproute2) is required";
    ASSERT_TRUE(haveTool("tc")) << "`tc` (iproute2) is required";
    link_ = std::make_unique<VethLink>("cdtp", circuitd::testing::NetnsOptions{}, "tps0", "tpr0");
    ASSERT_EQ(link_->error(), "");
    const auto& send = link_->near();
    const auto& refl = link_->far();
    // Private addresses exist only inside these two namespaces.
    ASSERT_EQ(send.ip({"addr", "add", "10.203.0.1/30", "dev", link_->nearDev()}).exit_code, 0);
    ASSERT_EQ(refl.ip({"addr", "add", "10.203.0.2/30", "dev", link_->farDev()}).exit_code, 0);
    // burst must hold at least one full frame; latency 50 ms gives a 125 kB queue, so a sender
    // that offers more than 20 Mbit/s overflows the queue and the shaper sets the rate.
    ASSERT_EQ(circuitd::testing::run({"tc", "-n", send.name(), "qdisc", "add", "dev",
                                      link_->nearDev(), "root", "tbf", "rate", "20mbit", "burst",
                                      "32kbit", "latency", "50ms"})
                  .exit_code,
              0);
    startReflector();
  }

  void TearDown() override {
    if (reflector_ && reflector_->running()) {
      reflector_->signal(SIGTERM);
      reflector_->wait();
    }
    reflector_.reset();
    if (link_) {
      const std::string ns = link_->near().name();
      link_.reset();
      EXPECT_FALSE(netnsExists(ns)) << "namespace left behind";
    }
  }

  void startReflector() {
    const std::string bin =
        std::string(CIRCUITD_BINARY_DIR) + "/tools/circuit-reflector/circuit-reflector";
    ASSERT_EQ(::access(bin.c_str(), X_OK), 0) << bin << " is not built";
    SpawnOptions opts;
    opts.log = log_dir_.path() / "reflector.log";
    reflector_ =
        std::make_unique<Process>(link_->far().wrap({bin, "--listen", "10.203.0.2:862",
                                                     "--max-rate", "100M", "--max-duration", "30"}),
                                  opts);
    // Wait for its "listening" line instead of sleeping.
    ASSERT_TRUE(reflector_->waitForLog("listening on 10.203.0.2:862", 10s))
        << "reflector did not start: " << reflector_->log();
  }

  /// Runs the sender inside the sender namespace (setns applies to the calling thread only).
  circuitd::Result<tp::TestReport> runInSenderNs(const tp::TestPlan& plan,
                                                 const tp::TestLimits& lim) {
    circuitd::Result<tp::TestReport> out =
        circuitd::fail("setns", "cannot enter " + link_->near().name());
    link_->near().inside([&] { out = tp::runTest(plan, lim); });
    return out;
  }

  /// UDP datagrams that reached the reflector's namespace (delivered, to no port, or in error).
  /// Interface counters would also count the IPv6 neighbour discovery a fresh veth sends.
  std::uint64_t reflectorRxPackets() {
    return std::stoull(
        "0" +
        link_->far().exec({"awk", "/^Udp: [0-9]/ {print $2 + $3 + $4}", "/proc/net/snmp"}).out);
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

  std::unique_ptr<VethLink> link_;
  ScratchDir log_dir_{"circuitd-tp-"};
  std::unique_ptr<Process> reflector_;
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
  EXPECT_GT(*rep->rtt_avg_ms, 5.0);  // the full tbf queue adds tens of milliseconds
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
