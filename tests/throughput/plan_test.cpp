// The guard that refuses unsafe tests, parsing of rates and addresses, and the report arithmetic
// (rates from timestamps, loss per direction, RTT with reflector dwell removed, IPDV jitter).
#include <gtest/gtest.h>

#include "probes/throughput/test_plan.hpp"
#include "probes/throughput/twamp_transport.hpp"

namespace tp = circuitd::throughput;

namespace {
tp::TestPlan plan(double rate, double seconds) {
  tp::TestPlan p;
  p.host = "127.0.0.1";
  p.port = 862;
  p.rate_bps = rate;
  p.seconds = seconds;
  return p;
}
}  // namespace

TEST(ThroughputGuardTest, RefusesRateAboveContractedBandwidth) {
  tp::TestLimits lim;
  lim.contracted_bps = 20e6;
  EXPECT_TRUE(tp::checkPlan(plan(20e6, 5), lim));
  auto r = tp::checkPlan(plan(20.5e6, 5), lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "rate");
  EXPECT_NE(r.error().what.find("contracted"), std::string::npos);
}

TEST(ThroughputGuardTest, RefusesDurationAboveConfiguredMaximum) {
  tp::TestLimits lim;
  lim.max_seconds = 10;
  EXPECT_TRUE(tp::checkPlan(plan(1e6, 10), lim));
  auto r = tp::checkPlan(plan(1e6, 11), lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "seconds");
}

TEST(ThroughputGuardTest, RefusesPacketsSmallerThanTheReflectorReply) {
  auto p = plan(1e6, 1);
  p.packet_size = 40;
  EXPECT_FALSE(tp::checkPlan(p, {}));
}

TEST(ThroughputGuardTest, RunTestSendsNothingWhenRefused) {
  tp::TestLimits lim;
  lim.contracted_bps = 10e6;
  auto r = tp::runTest(plan(50e6, 1), lim);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("refusing"), std::string::npos);
}

TEST(ThroughputPlanTest, CircuitPlanUsesContractedRateAndReflectorKey) {
  circuitd::Circuit c;
  c.key = "STN1";
  c.bandwidth_mbps = 20;
  c.reflector = "[2001:db8::1]:4000";
  auto p = tp::planForCircuit(c, 5);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->host, "2001:db8::1");
  EXPECT_EQ(p->port, 4000);
  EXPECT_DOUBLE_EQ(p->rate_bps, 20e6);
  c.reflector = "";
  EXPECT_FALSE(tp::planForCircuit(c, 5));
  c.reflector = "10.0.0.1";
  c.bandwidth_mbps.reset();
  auto noRate = tp::planForCircuit(c, 5);
  ASSERT_FALSE(noRate);
  EXPECT_NE(noRate.error().where.find("STN1"), std::string::npos);
}

TEST(ThroughputPlanTest, ParsesRatesWithDecimalSuffixes) {
  EXPECT_DOUBLE_EQ(*tp::parseRate("20M"), 20e6);
  EXPECT_DOUBLE_EQ(*tp::parseRate("1.5G"), 1.5e9);
  EXPECT_DOUBLE_EQ(*tp::parseRate("800k"), 800e3);
  EXPECT_DOUBLE_EQ(*tp::parseRate("20mbit"), 20e6);
  EXPECT_DOUBLE_EQ(*tp::parseRate("2000000"), 2e6);
  EXPECT_FALSE(tp::parseRate("fast"));
  EXPECT_FALSE(tp::parseRate("20X"));
  EXPECT_FALSE(tp::parseRate("-3M"));
}

TEST(ThroughputPlanTest, ParsesHostPortForms) {
  EXPECT_EQ(tp::parseHostPort("127.0.0.1", 862)->port, 862);
  EXPECT_EQ(tp::parseHostPort("127.0.0.1:9000", 862)->port, 9000);
  EXPECT_EQ(tp::parseHostPort("::1", 862)->host, "::1");
  EXPECT_EQ(tp::parseHostPort("[::1]:7", 862)->port, 7);
  EXPECT_FALSE(tp::parseHostPort("127.0.0.1:0", 862));
  EXPECT_FALSE(tp::parseHostPort("127.0.0.1:99999", 862));
  EXPECT_FALSE(tp::parseHostPort("[::1", 862));
}

TEST(ThroughputReportTest, ComputesRatesLossRttAndJitterFromTimestamps) {
  // 10 packets 1 ms apart at the sender; packet 3 is lost forward (the reflector never numbers
  // it), packet 6's reply is lost on the way back. Reflector clock is 1 s off: RTT must not care.
  std::vector<tp::PacketRecord> recs(10);
  std::uint32_t refl_seq = 0;
  const std::int64_t ms = 1'000'000;
  for (int i = 0; i < 10; ++i) {
    auto& r = recs[static_cast<std::size_t>(i)];
    r.sent = true;
    r.t1_ns = 1000 * ms + i * ms;
    if (i == 3) continue;
    const std::uint32_t seq = refl_seq++;
    if (i == 6) continue;
    r.replied = true;
    r.reflector_seq = seq;
    r.t2_ns = r.t1_ns + 1000 * ms + 5 * ms;         // forward delay 5 ms, clock offset 1 s
    r.t3_ns = r.t2_ns + (i % 2 ? 1 : 0) * ms / 10;  // dwell 0 or 0.1 ms
    const double rtt_extra = (i % 2) ? 0.4 : 0.0;   // alternating 10 / 10.4 ms RTT
    r.t4_ns = r.t3_ns - 1000 * ms + 5 * ms + static_cast<std::int64_t>(rtt_extra * ms);
    r.ttl = 253;
  }
  auto p = plan(1e6, 0.01);
  const auto rep = tp::computeReport(p, 1000, recs);
  EXPECT_EQ(rep.sent, 10U);
  EXPECT_EQ(rep.reflected, 9U);  // reflector numbered 0..8
  EXPECT_EQ(rep.returned, 8U);
  EXPECT_NEAR(rep.forward_loss, 0.1, 1e-12);
  EXPECT_NEAR(rep.reverse_loss, 1.0 / 9.0, 1e-12);
  EXPECT_NEAR(*rep.rtt_min_ms, 10.0, 1e-9);
  EXPECT_NEAR(*rep.rtt_max_ms, 10.4, 1e-9);
  // Consecutive replies 0,1,2,4,5,7,8,9: RTT steps 0.4,0.4,0,0.4,0,0.4,0.4 ms.
  EXPECT_NEAR(*rep.jitter_ms, 2.0 / 7.0, 1e-9);
  EXPECT_EQ(*rep.hops, 2);
  // 9 sends over 9 ms of 8000-bit packets = 8 Mbit/s.
  EXPECT_NEAR(rep.sent_bps, 8e6, 1);
  // Reflector: seq 0 at packet 0 (t=0) .. seq 8 at packet 9 (t=9 ms): 8 packets in 9 ms.
  EXPECT_NEAR(rep.reflector_rx_bps, 8 * 8000 / 9e-3, 1);
  const auto s = tp::toSample(rep, circuitd::TimePoint{});
  EXPECT_EQ(s.source, circuitd::ThroughputSample::Source::ActiveTest);
  EXPECT_NEAR(*s.loss_ratio, 0.2, 1e-12);
}

TEST(ThroughputReportTest, NoRepliesMeansFullForwardLossAndNoDelay) {
  std::vector<tp::PacketRecord> recs(5);
  for (int i = 0; i < 5; ++i) {
    recs[static_cast<std::size_t>(i)].sent = true;
    recs[static_cast<std::size_t>(i)].t1_ns = i * 1000;
  }
  const auto rep = tp::computeReport(plan(1e6, 1), 100, recs);
  EXPECT_EQ(rep.returned, 0U);
  EXPECT_DOUBLE_EQ(rep.forward_loss, 1.0);
  EXPECT_FALSE(rep.rtt_avg_ms);
  EXPECT_FALSE(rep.jitter_ms);
}

TEST(ThroughputReportTest, TrainDispersionGivesTheBottleneckRateWithAStatedError) {
  // Four trains of 5 packets of 10,000 bits; the bottleneck spaces them 1 ms apart (10 Mbit/s)
  // except train 2, spaced 1.25 ms (8 Mbit/s), and train 3, which lost a packet (ignored).
  const std::size_t len = 5;
  std::vector<tp::PacketRecord> recs(4 * len);
  std::uint32_t refl = 0;
  for (std::size_t t = 0; t < 4; ++t)
    for (std::size_t i = 0; i < len; ++i) {
      auto& r = recs[t * len + i];
      r.sent = true;
      r.t1_ns = static_cast<std::int64_t>(t) * 100'000'000;
      if (t == 3 && i == 2) continue;
      r.replied = true;
      r.reflector_seq = refl++;
      const std::int64_t gap = t == 2 ? 1'250'000 : 1'000'000;
      r.t2_ns = r.t1_ns + 5'000'000 + static_cast<std::int64_t>(i) * gap;
      r.t3_ns = r.t2_ns;
      r.t4_ns = r.t2_ns + 5'000'000;
    }
  auto p = plan(1e6, 1);
  p.train_length = len;
  const auto rep = tp::computeReport(p, 1250, recs);
  EXPECT_EQ(rep.trains_used, 3u);
  ASSERT_TRUE(rep.capacity_bps);
  EXPECT_NEAR(*rep.capacity_bps, 10e6, 1);  // median of 10, 10, 8 Mbit/s
  ASSERT_TRUE(rep.capacity_error_bps);
  EXPECT_GE(*rep.capacity_error_bps, 1e6);  // the spread toward 8 Mbit/s is stated
  EXPECT_LT(*rep.capacity_error_bps, 2e6);
}

TEST(ThroughputGuardTest, RefusesAnAbsurdTrainLength) {
  auto p = plan(1e6, 1);
  p.train_length = 0;
  EXPECT_FALSE(tp::checkPlan(p, {}));
  p.train_length = 5000;
  EXPECT_FALSE(tp::checkPlan(p, {}));
}
