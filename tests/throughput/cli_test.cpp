// circuitctl test-throughput end to end: the real binary, a configuration file naming the
// circuit's contracted rate and reflector, and an in-process reflector on 127.0.0.1 (port 0).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "probes/throughput/twamp_transport.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace tp = circuitd::throughput;

namespace {

// circuitctl with args; stdout and stderr together, as a terminal shows them.
circuitd::testing::CommandResult circuitctl(std::vector<std::string> args) {
  args.insert(args.begin(), circuitd::testing::circuitctlBinary());
  circuitd::testing::RunOptions opts;
  opts.merge_stderr = true;
  return circuitd::testing::run(args, opts);
}

class CircuitctlThroughput : public ::testing::Test {
 protected:
  void SetUp() override {
    tp::Reflector::Options opt;
    opt.host = "127.0.0.1";
    opt.port = 0;
    auto r = tp::Reflector::open(opt);
    ASSERT_TRUE(r) << r.error().str();
    refl_ = std::move(*r);
    thread_ = std::thread([this] { refl_->run(); });
    config_ = ::testing::TempDir() + "tp-cli-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_) << "[[circuit]]\nlink_id = \"STN-TEST-1\"\nbandwidth_mbps = 2\n"
                           << "reflector = \"127.0.0.1:" << refl_->port() << "\"\n";
  }
  void TearDown() override {
    if (refl_) refl_->stop();
    if (thread_.joinable()) thread_.join();
    std::remove(config_.c_str());
  }
  std::unique_ptr<tp::Reflector> refl_;
  std::thread thread_;
  std::string config_;
};

}  // namespace

TEST_F(CircuitctlThroughput, LinkIdRunsAtTheContractedRateToTheConfiguredReflector) {
  const auto r = circuitctl(
      {"test-throughput", "STN-TEST-1", "--config", config_, "--seconds", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["circuit"], "STN-TEST-1");
  EXPECT_DOUBLE_EQ(j["offered_bps"].get<double>(), 2e6);
  EXPECT_GT(j["sent"].get<int>(), 150);
  EXPECT_EQ(j["returned"], j["sent"]);
  EXPECT_NEAR(j["reflector_rx_bps"].get<double>(), 2e6, 0.1e6);
  EXPECT_EQ(refl_->counters().reflected, j["sent"].get<std::uint64_t>());
}

TEST_F(CircuitctlThroughput, RateAboveTheContractIsRefusedWithExitCode3) {
  const auto r = circuitctl(
      {"test-throughput", "STN-TEST-1", "--config", config_, "--rate", "3M", "--seconds", "1"});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("contracted"), std::string::npos) << r.out;
  EXPECT_EQ(refl_->counters().received, 0u);
}

TEST_F(CircuitctlThroughput, DurationAboveTheMaximumIsRefused) {
  const auto r =
      circuitctl({"test-throughput", "STN-TEST-1", "--config", config_, "--seconds", "61"});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("maximum"), std::string::npos) << r.out;
}

TEST_F(CircuitctlThroughput, OneShotToAnAddressPrintsTheReport) {
  const auto r =
      circuitctl({"test-throughput", "--to", "127.0.0.1:" + std::to_string(refl_->port()), "--rate",
                  "1M", "--seconds", "1", "--size", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("at reflector"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loss forward      0.000 %"), std::string::npos) << r.out;
}

TEST_F(CircuitctlThroughput, UnknownCircuitIsAUsageError) {
  const auto r = circuitctl({"test-throughput", "NO-SUCH", "--config", config_});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("no circuit NO-SUCH"), std::string::npos) << r.out;
}
