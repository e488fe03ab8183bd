// Live capture through libpcap on a real interface: frames of the generated traffic file are
// sent with a packet socket into one end of a veth pair in a namespace the test creates and
// captured on the other end, where the kernel strips VLAN tags into metadata as on a real
// mirror port. Needs root and `ip`: without them the test fails, it does not skip.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <thread>

#include "probes/capture/pcap_source.hpp"
#include "probes/capture/traffic_counter.hpp"
#include "tests/capture/capture_gen.hpp"
#include "tests/support/netns.hpp"

namespace cap = circuitd::capture;
namespace gen = circuitd::capture::gen;
using circuitd::testing::enterNetns;
using circuitd::testing::haveTool;
using circuitd::testing::NetnsOptions;
using circuitd::testing::PacketSender;
using circuitd::testing::sendFrames;
using circuitd::testing::VethLink;
using circuitd::testing::VethPair;

namespace {

const std::string kTrafficFile =
    std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/capture/traffic.pcap";

// Sends the whole frames of a capture file with a packet socket out of `dev` in namespace `ns`
// (once, or over and over until `until` is set); "" or what went wrong.
std::string replay(const std::string& ns, const std::string& dev, const std::string& file,
                   const std::atomic<bool>* until, std::uint64_t& sent) {
  PacketSender out(ns, dev);
  if (!out.error().empty()) return out.error();
  std::string error;
  do {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(file.c_str(), err);
    if (!p) {
      error = err;
      break;
    }
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(p, &h, &data) == 1) {
      if (h->caplen < h->len) continue;
      if (out.send(data, h->caplen)) ++sent;
    }
    pcap_close(p);
  } while (until && !until->load());
  return error;
}

// Joins a capture thread when a test leaves early (a failed assertion returns from the test
// body): the stop ends the capture at once, and the thread never outlives what it uses.
struct ThreadGuard {
  std::thread& thread;
  cap::CaptureStop& stop;
  ~ThreadGuard() {
    if (!thread.joinable()) return;
    stop.request();
    thread.join();
  }
};

class LiveCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root to create network namespaces";
    ASSERT_TRUE(haveTool("ip")) << "`ip` (iproute2) is required";
    // IPv6 off: the link carries only the frames the test sends.
    NetnsOptions quiet;
    quiet.ipv6 = false;
    veth_ = std::make_unique<VethLink>("cdcap", quiet, "cpt0", "cpr0");
    if (veth_->error().empty()) veth_->pair().waitReady();
    ASSERT_EQ(veth_->error(), "");
    ns_tx_ = veth_->near().name();
    ns_rx_ = veth_->far().name();
    dev_tx_ = veth_->nearDev();
    dev_rx_ = veth_->farDev();
  }
  std::string linkStats() const { return veth_->pair().linkStats(); }
  long long rxPackets() const { return VethPair::counter(veth_->pair().b(), "rx_packets"); }
  // Runs captureLive on the receiving end on a thread of its own and returns once the capture
  // is open or has failed (no bound here: ctest's timeout is the bound; taking promiscuous mode
  // needs the RTNL lock, which namespace teardown elsewhere on a busy machine holds for
  // seconds). `result` is the capture's outcome once the thread is joined.
  std::thread startCapture(cap::TrafficCounter& counter, cap::CaptureOptions opt,
                           circuitd::Result<void>& result, cap::CfmSink sink = {}) {
    auto ready = std::make_shared<std::promise<void>>();
    auto ready_f = ready->get_future();
    std::thread t(
        [this, &counter, &result, ready, opt = std::move(opt), sink = std::move(sink)]() mutable {
          bool told = false;
          if (!enterNetns(ns_rx_)) {
            result = circuitd::fail("setns", ns_rx_);
          } else {
            opt.on_ready = [&] {
              told = true;
              ready->set_value();
            };
            result = cap::captureLive(dev_rx_, counter, sink, opt);
          }
          if (!told) ready->set_value();  // a capture that failed after it was ready told already
        });
    ready_f.wait();
    return t;
  }
  // Starts an open-ended capture on the receiving end, waits `running` (idle time or traffic),
  // requests the stop and returns how long captureLive took to return after it.
  std::chrono::milliseconds stopLatency(std::chrono::milliseconds running,
                                        std::uint64_t* frames = nullptr) {
    auto counter = cap::TrafficCounter::create(gen::inventory());
    EXPECT_TRUE(counter);
    if (!counter) return std::chrono::milliseconds::max();
    cap::CaptureStop stop;
    circuitd::Result<void> result;
    cap::CaptureOptions opt;
    opt.stop = &stop;
    opt.seconds = 30;  // failsafe only, far beyond any bound asserted here
    opt.sample_seconds = 0.1;
    opt.on_throughput = [](const circuitd::ThroughputSample&) {};
    std::thread rx = startCapture(*counter, opt, result);
    std::this_thread::sleep_for(running);
    const auto t0 = std::chrono::steady_clock::now();
    stop.request();
    rx.join();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    EXPECT_TRUE(result) << result.error().str();
    if (frames) *frames = counter->totals().frames;
    return took;
  }

  std::unique_ptr<VethLink> veth_;
  std::string ns_tx_, ns_rx_, dev_tx_, dev_rx_;
};

}  // namespace

TEST_F(LiveCapture, CountsPerCircuitOnAVethLikeFromTheFile) {
  const std::string& file = kTrafficFile;
  const auto truth = gen::trafficCapture();
  // Frames the file holds whole (truncation is a property of the file, not of the wire) and the
  // number of them the circuit filter lets through: circuits, VLAN 999 and the malformed ones.
  const std::uint64_t expected = 275 + truth.unmatched_filtered + truth.malformed;

  auto counter = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(counter);
  const long long rx_before = rxPackets();
  ASSERT_GE(rx_before, 0);
  circuitd::Result<void> result;
  cap::CaptureStop stop;
  cap::CaptureOptions opt;
  opt.stop = &stop;
  opt.seconds = 20;  // failsafe only: the capture ends when all expected frames arrived
  opt.max_frames = expected;
  std::thread rx = startCapture(*counter, opt, result);
  ThreadGuard rx_guard{rx, stop};  // joined also when an assertion below returns early

  std::uint64_t sent = 0;
  std::string tx_error;
  std::thread tx([&] { tx_error = replay(ns_tx_, dev_tx_, file, nullptr, sent); });
  tx.join();
  rx.join();
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  ASSERT_TRUE(result) << result.error().str();
  EXPECT_EQ(sent, truth.frames - truth.truncated_all);
  // Frames lost before the receiving interface (sender's queueing discipline, the CPU backlog)
  // show here and in the link statistics; frames the interface took in but the capture did not
  // count show in the next check only.
  const long long rx_after = rxPackets();
  EXPECT_EQ(rx_after - rx_before, static_cast<long long>(sent)) << linkStats();
  EXPECT_EQ(counter->totals().frames, expected) << linkStats();
  for (const auto& ct : counter->circuits()) {
    SCOPED_TRACE(ct.circuit);
    const auto& t = truth.circuits.at(ct.circuit);
    EXPECT_EQ(ct.packets, t.packets);
    EXPECT_EQ(ct.bytes, t.bytes);
    EXPECT_EQ(ct.in_bytes, t.in_bytes);
    EXPECT_EQ(ct.out_bytes, t.out_bytes);
  }
  EXPECT_EQ(counter->totals().malformed, truth.malformed);
  EXPECT_EQ(counter->totals().truncated, 0u);
}

// An idle link: no frame ever arrives, so only the stop can end the capture's wait.
TEST_F(LiveCapture, StopEndsACaptureOnAnIdleLinkWithin300Ms) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    std::uint64_t frames = 0;
    const auto took = stopLatency(std::chrono::milliseconds(700 + 150 * round), &frames);
    EXPECT_EQ(frames, 0u) << "the link was meant to be idle";
    EXPECT_LT(took, std::chrono::milliseconds(300));
    std::printf("idle link: capture returned %lld ms after the stop request\n",
                static_cast<long long>(took.count()));
  }
}

TEST_F(LiveCapture, StopEndsACaptureWithTrafficFlowingWithin300Ms) {
  std::atomic<bool> quit{false};
  std::uint64_t sent = 0;
  std::string tx_error;
  std::thread tx([&] { tx_error = replay(ns_tx_, dev_tx_, kTrafficFile, &quit, sent); });
  std::uint64_t frames = 0;
  const auto took = stopLatency(std::chrono::milliseconds(1000), &frames);
  quit = true;
  tx.join();
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  EXPECT_GT(frames, 0u) << "no traffic reached the capture";
  EXPECT_LT(took, std::chrono::milliseconds(300));
  std::printf("traffic flowing (%llu frames captured): capture returned %lld ms after the stop\n",
              static_cast<unsigned long long>(frames), static_cast<long long>(took.count()));
}

// One handle across window boundaries: a steady stream of VLAN 100 frames with a CCM every
// second runs across at least three boundaries of 0.5 s windows. Every frame the receiving
// interface took in (the kernel's rx_packets) is counted, the windows follow one another
// without a gap and add up to the total, and the MEP is seen once and loses continuity once,
// 3.5 s after its last CCM, long after the windows it was seen in had closed.
TEST_F(LiveCapture, WindowsSplitOneOpenCaptureWithoutAGap) {
  constexpr double kWindow = 0.5;
  constexpr int kFrames = 400;    // 200 frames/s for 2 s: four windows and more
  constexpr int kCcmEvery = 200;  // one CCM a second (interval code 4)
  constexpr std::size_t kLength = 600;
  auto counter = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(counter);
  const long long rx_before = rxPackets();
  ASSERT_GE(rx_before, 0);

  cap::CaptureStop stop;
  std::vector<cap::CaptureWindow> windows;  // written by the capture thread until it is joined
  std::vector<circuitd::CfmSample> cfm;
  circuitd::Result<void> result;
  cap::CaptureOptions opt;
  opt.stop = &stop;
  opt.seconds = 60;  // failsafe only
  opt.sample_seconds = kWindow;
  opt.on_window = [&](const cap::CaptureWindow& w) { windows.push_back(w); };
  std::thread rx =
      startCapture(*counter, opt, result, [&](const circuitd::CfmSample& s) { cfm.push_back(s); });
  ThreadGuard rx_guard{rx, stop};

  // Paced on an absolute schedule, so a late wake-up does not stretch the stream.
  std::uint64_t sent = 0, ccms = 0;
  std::string tx_error;
  std::thread tx([&] {
    if (!enterNetns(ns_tx_)) {
      tx_error = "setns " + ns_tx_;
      return;
    }
    const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
      tx_error = "AF_PACKET socket";
      return;
    }
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = static_cast<int>(::if_nametoindex(dev_tx_.c_str()));
    to.sll_halen = 6;
    const auto frame = gen::taggedFrame(100, kLength);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kFrames; ++i) {
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(i * 5000));
      const auto f = i % kCcmEvery == 0
                         ? gen::taggedCcm(100, 11, static_cast<std::uint32_t>(ccms + 1), 4)
                         : frame;
      if (::sendto(fd, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
          static_cast<ssize_t>(f.size())) {
        ++sent;
        if (i % kCcmEvery == 0) ++ccms;
      }
    }
    ::close(fd);
  });
  tx.join();
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  // Waits (not a timed assertion) until the kernel took in every frame and the last CCM is
  // 3.5 intervals old, plus two windows, so the last frame's window has closed.
  long long rx_after = -1;
  for (int i = 0; i < 100; ++i) {
    rx_after = rxPackets();
    if (rx_after - rx_before >= static_cast<long long>(sent)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(3500 + 2 * 500));
  stop.request();
  rx.join();
  ASSERT_TRUE(result) << result.error().str();

  EXPECT_EQ(sent, static_cast<std::uint64_t>(kFrames));
  EXPECT_EQ(rx_after - rx_before, static_cast<long long>(sent))
      << "frames the receiving interface took in";
  const auto& totals = counter->totals();
  EXPECT_EQ(totals.frames, sent) << "frames counted by the capture";
  EXPECT_EQ(totals.matched, sent);

  // Windows: contiguous, each kWindow long, together the whole capture.
  ASSERT_FALSE(windows.empty());
  std::uint64_t frames = 0, matched = 0, packets = 0, bytes = 0;
  int with_traffic = 0;
  double bits = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto& w = windows[i];
    SCOPED_TRACE(i);
    if (i > 0) {
      EXPECT_EQ(w.start_us, windows[i - 1].end_us) << "a gap between windows";
    }
    EXPECT_EQ(w.end_us - w.start_us, static_cast<std::int64_t>(kWindow * 1e6));
    frames += w.frames;
    matched += w.matched;
    if (w.frames) ++with_traffic;
    for (const auto& ct : w.circuits) {
      if (ct.circuit != "STN-VLAN100") {
        EXPECT_EQ(ct.packets, 0u) << ct.circuit;
        continue;
      }
      packets += ct.packets;
      bytes += ct.bytes;
    }
    for (const auto& s : w.samples)
      if (s.circuit == "STN-VLAN100") bits += s.in_bps * kWindow;
  }
  EXPECT_EQ(frames, totals.frames) << "the windows add up to the total";
  EXPECT_EQ(matched, totals.matched);
  EXPECT_GE(with_traffic, 4) << "the stream was meant to cross at least three boundaries";
  const auto& vlan100 = counter->circuits()[0];
  ASSERT_EQ(vlan100.circuit, "STN-VLAN100");
  EXPECT_EQ(packets, vlan100.packets);
  EXPECT_EQ(bytes, vlan100.bytes);
  EXPECT_EQ(vlan100.packets, sent);
  EXPECT_NEAR(bits, static_cast<double>(vlan100.bytes) * 8,
              1e-3 * static_cast<double>(vlan100.bytes));

  // CCM continuity across the windows: one MEP, every CCM, first sight once and LOC once.
  const auto& meps = counter->ccm().meps();
  ASSERT_EQ(meps.size(), 1u);
  const auto& mep = meps.begin()->second;
  EXPECT_EQ(mep.ccms, ccms);
  EXPECT_EQ(mep.sequence_errors, 0u);
  EXPECT_EQ(mep.loc_events, 1u);
  EXPECT_TRUE(mep.loc);
  ASSERT_EQ(cfm.size(), 2u) << "first sight, then loss of continuity";
  EXPECT_FALSE(cfm[0].loss_of_continuity);
  EXPECT_TRUE(cfm[1].loss_of_continuity);
  std::printf(
      "%llu frames sent, %lld taken in by the receiving interface, %llu counted in %zu "
      "windows of %.1f s (%d with traffic)\n",
      static_cast<unsigned long long>(sent), rx_after - rx_before,
      static_cast<unsigned long long>(frames), windows.size(), kWindow, with_traffic);
}

// A new inventory given at a window boundary re-keys the open capture: a prefix circuit added
// then changes the kernel filter on the same handle, so its untagged traffic, dropped by the
// kernel before, is counted from the next window on.
TEST_F(LiveCapture, ANewInventoryAtABoundarySetsItsFilterOnTheOpenHandle) {
  constexpr double kWindow = 0.4;
  auto counter = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(counter);
  circuitd::Inventory more = gen::inventory();
  circuitd::Circuit added;
  added.key = added.link_id = "STN-PREFIX-NEW";
  added.prefix = "10.99.0.0/24";
  more.circuits.push_back(added);

  cap::CaptureStop stop;
  std::vector<cap::CaptureWindow> windows;
  std::atomic<int> rekeyed_at{-1};  // index of the first window counted with the new inventory
  circuitd::Result<void> result;
  cap::CaptureOptions opt;
  opt.stop = &stop;
  opt.seconds = 60;  // failsafe only
  opt.sample_seconds = kWindow;
  opt.on_window = [&](const cap::CaptureWindow& w) {
    windows.push_back(w);
    if (windows.size() == 3) {
      EXPECT_TRUE(counter->setInventory(more));
      rekeyed_at = 3;
    }
  };
  std::thread rx = startCapture(*counter, opt, result);
  ThreadGuard rx_guard{rx, stop};

  // 100 frames a second to the new prefix until the re-keyed capture has had two windows.
  std::uint64_t sent = 0;
  std::string tx_error;
  std::atomic<bool> quit{false};
  std::thread tx([&] {
    if (!enterNetns(ns_tx_)) {
      tx_error = "setns " + ns_tx_;
      return;
    }
    const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = static_cast<int>(::if_nametoindex(dev_tx_.c_str()));
    to.sll_halen = 6;
    const auto f = gen::untaggedFrame("192.0.2.1", "10.99.0.5", 200);
    while (!quit) {
      if (::sendto(fd, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) > 0)
        ++sent;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(fd);
  });
  // Waits (not a timed assertion) for five windows, two after the re-keying.
  for (int i = 0; i < 200 && rekeyed_at < 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(2.5 * kWindow * 1000)));
  quit = true;
  tx.join();
  stop.request();
  rx.join();
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  ASSERT_TRUE(result) << result.error().str();
  ASSERT_EQ(rekeyed_at.load(), 3);
  ASSERT_GE(windows.size(), 5u);
  EXPECT_GT(sent, 0u);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    SCOPED_TRACE(i);
    if (i < 3) {
      // The old filter kept the traffic of no circuit in the kernel.
      EXPECT_EQ(windows[i].frames, 0u);
      EXPECT_EQ(windows[i].circuits.size(), 5u);
    } else {
      ASSERT_EQ(windows[i].circuits.size(), 6u);
      EXPECT_EQ(windows[i].circuits.back().circuit, "STN-PREFIX-NEW");
      if (i > 3) {  // a whole window with the new filter
        EXPECT_GT(windows[i].circuits.back().packets, 0u);
        EXPECT_EQ(windows[i].circuits.back().packets, windows[i].frames);
      }
    }
  }
  EXPECT_GT(counter->circuits().back().packets, 0u);
  EXPECT_EQ(counter->totals().unmatched, 0u);
}

// The capture's kernel buffer made as small as libpcap allows (one ring block) and the reader
// held inside a window callback while a flood of VLAN 100 frames arrives: the ring fills and the
// kernel drops the rest. The windows report the drops, and the frames the windows counted plus
// the drops they report equal what the receiving interface took in (its rx_packets). Why that
// equality holds: every frame the veth took in is handed to the capture's packet socket; one
// that passes the filter (all of these do, nothing else is sent and IPv6 is off) is either put
// in the ring, and then read and counted, or dropped for want of room and counted by the
// kernel in tp_drops, which libpcap reports as ps_drop. (ps_recv is not used: on Linux it
// includes the drops and frames not yet read.)
TEST_F(LiveCapture, ASlowReaderBehindATinyBufferReportsTheDropsInItsWindows) {
  constexpr double kWindow = 0.2;
  constexpr int kFlood = 20000;  // 600-octet frames: far more than one ring block holds
  auto counter = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(counter);
  const long long rx_before = rxPackets();
  ASSERT_GE(rx_before, 0);

  cap::CaptureStop stop;
  std::vector<cap::CaptureWindow> windows;  // written by the capture thread until it is joined
  std::atomic<bool> reader_held{false}, flood_done{false};
  std::atomic<int> idle_after_flood{0};  // windows that closed empty after the flood
  circuitd::Result<void> result;
  cap::CaptureOptions opt;
  opt.stop = &stop;
  opt.seconds = 60;      // failsafe only
  opt.buffer_bytes = 1;  // raised to one page: the smallest ring libpcap makes
  opt.sample_seconds = kWindow;
  opt.on_window = [&](const cap::CaptureWindow& w) {
    windows.push_back(w);
    if (flood_done && w.frames == 0) ++idle_after_flood;
    if (windows.size() != 2) return;
    // The slow reader: nothing is read from the ring until the flood is over.
    reader_held = true;
    for (int i = 0; i < 600 && !flood_done; ++i)  // failsafe 30 s
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  std::thread rx = startCapture(*counter, opt, result);
  ThreadGuard rx_guard{rx, stop};
  for (int i = 0; i < 600 && !reader_held; ++i)  // waits for the second boundary
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(reader_held.load()) << "the capture never reached its second window boundary";

  std::uint64_t sent = 0;
  std::string tx_error;
  std::thread tx([&] {
    tx_error = sendFrames(ns_tx_, dev_tx_, gen::taggedFrame(100, 600), kFlood,
                          std::chrono::microseconds{0}, sent);
  });
  tx.join();
  long long rx_after = rxPackets();
  flood_done = true;
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  // Waits (not a timed assertion) until two windows closed empty after the flood: the reader
  // has emptied the ring, and the drops the kernel counted were collected at those boundaries.
  for (int i = 0; i < 600 && idle_after_flood < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop.request();
  rx.join();
  ASSERT_TRUE(result) << result.error().str();
  const long long rx_end = rxPackets();
  EXPECT_EQ(rx_end, rx_after) << "nothing but the flood reached the interface";

  std::uint64_t frames = 0, dropped = 0, if_dropped = 0, packets = 0;
  std::size_t with_drops = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto& w = windows[i];
    frames += w.frames;
    dropped += w.dropped;
    if_dropped += w.interface_dropped;
    if (w.dropped) ++with_drops;
    if (i < 2) {
      EXPECT_EQ(w.dropped, 0u) << "window " << i << " closed before the flood";
    }
    for (const auto& ct : w.circuits)
      if (ct.circuit == "STN-VLAN100") packets += ct.packets;
  }
  const auto& totals = counter->totals();
  EXPECT_EQ(sent, static_cast<std::uint64_t>(kFlood));
  EXPECT_GT(dropped, 0u) << "the tiny buffer was meant to overflow" << linkStats();
  EXPECT_GE(with_drops, 1u);
  EXPECT_EQ(frames, totals.frames) << "the windows add up to the total";
  EXPECT_EQ(dropped, totals.dropped) << "every drop was reported in a window";
  EXPECT_EQ(packets, frames) << "every frame read was the flood's";
  EXPECT_EQ(frames + dropped, static_cast<std::uint64_t>(rx_after - rx_before))
      << "read + dropped = taken in by the receiving interface\n"
      << linkStats();
  std::printf(
      "flood: %llu frames sent, %lld taken in by the receiving interface, %llu read, %llu "
      "dropped by the capture buffer (%zu of %zu windows with drops), %llu by the interface\n",
      static_cast<unsigned long long>(sent), rx_after - rx_before,
      static_cast<unsigned long long>(frames), static_cast<unsigned long long>(dropped), with_drops,
      windows.size(), static_cast<unsigned long long>(if_dropped));
}

// The same tiny buffer with a reader that keeps up: a paced stream reports no drop in any
// window, and every frame the interface took in is counted.
TEST_F(LiveCapture, AQuietStreamBehindATinyBufferReportsNoDrops) {
  constexpr double kWindow = 0.5;
  constexpr int kFrames = 300;  // 200 frames/s for 1.5 s
  auto counter = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(counter);
  const long long rx_before = rxPackets();
  ASSERT_GE(rx_before, 0);

  cap::CaptureStop stop;
  std::vector<cap::CaptureWindow> windows;
  circuitd::Result<void> result;
  cap::CaptureOptions opt;
  opt.stop = &stop;
  opt.seconds = 60;  // failsafe only
  opt.buffer_bytes = 1;
  opt.sample_seconds = kWindow;
  opt.on_window = [&](const cap::CaptureWindow& w) { windows.push_back(w); };
  std::thread rx = startCapture(*counter, opt, result);
  ThreadGuard rx_guard{rx, stop};

  std::uint64_t sent = 0;
  std::string tx_error;
  std::thread tx([&] {
    tx_error = sendFrames(ns_tx_, dev_tx_, gen::taggedFrame(100, 600), kFrames,
                          std::chrono::microseconds{5000}, sent);
  });
  tx.join();
  ASSERT_TRUE(tx_error.empty()) << tx_error;
  long long rx_after = -1;
  for (int i = 0; i < 100; ++i) {  // waits for the kernel, not a timed assertion
    rx_after = rxPackets();
    if (rx_after - rx_before >= static_cast<long long>(sent)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(2 * kWindow * 1000)));
  stop.request();
  rx.join();
  ASSERT_TRUE(result) << result.error().str();

  ASSERT_FALSE(windows.empty());
  std::uint64_t frames = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    EXPECT_EQ(windows[i].dropped, 0u) << "window " << i;
    frames += windows[i].frames;
  }
  EXPECT_EQ(counter->totals().dropped, 0u);
  EXPECT_EQ(sent, static_cast<std::uint64_t>(kFrames));
  EXPECT_EQ(rx_after - rx_before, static_cast<long long>(sent)) << linkStats();
  EXPECT_EQ(frames, sent) << "every frame the interface took in was counted in a window";
  std::printf("quiet stream: %llu frames sent, %llu counted in %zu windows, 0 dropped\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(frames),
              windows.size());
}
