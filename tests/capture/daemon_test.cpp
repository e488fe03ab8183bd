// The real circuitd capturing on a veth in a namespace the test makes, its capture buffer made
// one page small (CIRCUITD_TEST_CAPTURE_BUFFER): a paced stream is counted whole with no drop,
// a flood overflows the buffer, and both show in /metrics and in the log. Needs root and `ip`.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include "tests/capture/capture_gen.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace {

using namespace std::chrono_literals;
using circuitd::testing::enterNetns;
using circuitd::testing::haveTool;
using circuitd::testing::NetnsOptions;
using circuitd::testing::Process;
using circuitd::testing::ScratchDir;
using circuitd::testing::sendFrames;
using circuitd::testing::SpawnOptions;
using circuitd::testing::VethLink;
using circuitd::testing::VethPair;

const std::string kDaemon = circuitd::testing::circuitdBinary();

// A counter's value in a /metrics body; -1 when absent.
long long metric(const std::string& body, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(body, m, std::regex("\n" + name + " (\\d+)\n"))) return -1;
  return std::stoll(m[1]);
}

// Lines of the log that report a capture window ("capture on DEV: N frames, ...").
std::size_t windowLines(const std::string& log, const std::string& dev) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = log.find("capture on " + dev + ": ", at)) != std::string::npos;
       ++at)
    if (log.compare(log.find(": ", at) + 2, 1, "t") != 0) ++n;  // not the drop warning
  return n;
}

class CaptureDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root to create network namespaces";
    ASSERT_TRUE(haveTool("ip")) << "`ip` (iproute2) is required";
    // IPv6 off: the link carries only the frames the test sends.
    NetnsOptions quiet;
    quiet.ipv6 = false;
    veth_ = std::make_unique<VethLink>("cdcapd", quiet, "cpt0", "cpr0");
    if (veth_->error().empty()) veth_->pair().waitReady();
    ASSERT_EQ(veth_->error(), "");
  }
  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      daemon_->signal(SIGTERM);
      EXPECT_EQ(daemon_->wait(5s), 0) << daemon_->log();
    }
  }
  // GET /metrics from inside the daemon's namespace (its loopback is not the test's).
  std::string metrics(int port) {
    std::string body;
    std::thread t([&] {
      if (enterNetns(veth_->far().name())) body = circuitd::testing::httpGet(port, "/metrics");
    });
    t.join();
    return body;
  }
  // Waits for `n` window lines in the log (the daemon's windows are 10 s).
  bool waitForWindows(std::size_t n) {
    for (int i = 0; i < 600; ++i) {  // 60 s
      if (windowLines(daemon_->log(), veth_->farDev()) >= n) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::unique_ptr<VethLink> veth_;
  ScratchDir dir_{"circuitd-capd-"};
  std::unique_ptr<Process> daemon_;
};

}  // namespace

TEST_F(CaptureDaemon, AQuietStreamIsCountedWholeAndAFloodsDropsShowInMetricsAndTheLog) {
  const auto cfg = dir_.path() / "circuitd.toml";
  circuitd::testing::writeFile(
      cfg,
      "[daemon]\nstate_dir = \"state\"\nlog_level = \"debug\"\ntrap_listen = \"\"\n"
      "capture_interface = \"" +
          veth_->farDev() +
          "\"\n\n"
          "[store]\nbackend = \"sqlite\"\npath = \"state/circuitd.db\"\n\n"
          "[http]\nenabled = true\nlisten = \"127.0.0.1:0\"\n\n"
          "[[circuit]]\nkey = \"CAP-V100\"\ncarrier_target = \"127.0.0.1\"\nvlan = 100\n");
  const VethPair& pair = veth_->pair();
  const long long rx_start = VethPair::counter(pair.b(), "rx_packets");
  ASSERT_GE(rx_start, 0);
  SpawnOptions opts;
  opts.env = {"CIRCUITD_TEST_CAPTURE_BUFFER=4096"};
  opts.log = dir_.path() / "d.log";
  daemon_ = std::make_unique<Process>(veth_->far().wrap({kDaemon, "--config", cfg.string()}), opts);
  const int port = circuitd::testing::waitForHttpPort(*daemon_, 10s);
  ASSERT_GT(port, 0) << daemon_->log();
  // The first window closed: the capture handle is open (nothing was sent before it).
  ASSERT_TRUE(waitForWindows(1)) << daemon_->log();

  // A paced stream the reader keeps up with: 200 frames/s for 1 s.
  std::uint64_t quiet = 0;
  std::string tx_error;
  std::thread([&] {
    tx_error = sendFrames(veth_->near().name(), veth_->nearDev(),
                          circuitd::capture::gen::taggedFrame(100, 600), 200, 5000us, quiet);
  }).join();
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  ASSERT_TRUE(waitForWindows(windowLines(daemon_->log(), veth_->farDev()) + 1)) << daemon_->log();
  std::string body = metrics(port);
  EXPECT_EQ(metric(body, "circuitd_capture_frames_total"), static_cast<long long>(quiet)) << body;
  EXPECT_EQ(metric(body, "circuitd_capture_dropped_total"), 0) << body;
  EXPECT_EQ(daemon_->log().find("the kernel dropped"), std::string::npos) << daemon_->log();

  // A flood into the one-page buffer.
  std::uint64_t flood = 0;
  std::thread([&] {
    tx_error = sendFrames(veth_->near().name(), veth_->nearDev(),
                          circuitd::capture::gen::taggedFrame(100, 600), 20000, 0us, flood);
  }).join();
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  const long long rx_end = VethPair::counter(pair.b(), "rx_packets");
  ASSERT_TRUE(daemon_->waitForLog("the kernel dropped", 30s)) << daemon_->log();
  // One more window, so the window after the flood's is in the counters as well.
  ASSERT_TRUE(waitForWindows(windowLines(daemon_->log(), veth_->farDev()) + 1)) << daemon_->log();
  body = metrics(port);
  const long long frames = metric(body, "circuitd_capture_frames_total");
  const long long dropped = metric(body, "circuitd_capture_dropped_total");
  EXPECT_GT(dropped, 0) << body;
  // Read + dropped = what the capture interface took in (see live_test.cpp for why).
  EXPECT_EQ(frames + dropped, rx_end - rx_start) << body << pair.linkStats();
  EXPECT_GE(metric(body, "circuitd_capture_interface_dropped_total"), 0) << body;
  const std::string log = daemon_->log();
  const auto warn = log.find("the kernel dropped");
  ASSERT_NE(warn, std::string::npos);
  std::printf(
      "%s\nrx_packets %lld, frames_total %lld, dropped_total %lld\n",
      log.substr(log.rfind('\n', warn) + 1, log.find('\n', warn) - log.rfind('\n', warn) - 1)
          .c_str(),
      rx_end - rx_start, frames, dropped);
}
