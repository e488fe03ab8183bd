// Capture files made by the generator in this folder and kept under tests/data/capture: the
// generator must reproduce them byte for byte, the counter must agree with what the generator
// wrote, and the printed tables must equal the kept baselines.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "probes/capture/pcap_source.hpp"
#include "probes/capture/traffic_counter.hpp"
#include "tests/capture/capture_gen.hpp"

namespace cap = circuitd::capture;
namespace gen = circuitd::capture::gen;

namespace {

const std::string kDataDir = std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/capture/";

std::vector<std::uint8_t> readBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
std::string readText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

cap::TrafficCounter counterFor(const std::string& file, std::vector<circuitd::CfmSample>* samples,
                               bool filter = true) {
  auto c = cap::TrafficCounter::create(gen::inventory());
  EXPECT_TRUE(c);
  cap::CaptureOptions opt;
  opt.apply_filter = filter;
  auto r = cap::readFile(
      kDataDir + file, *c,
      [samples](const circuitd::CfmSample& s) {
        if (samples) samples->push_back(s);
      },
      opt);
  EXPECT_TRUE(r) << r.error().str();
  return std::move(*c);
}

}  // namespace

TEST(CaptureFilesTest, RegeneratingGivesIdenticalBytes) {
  EXPECT_EQ(gen::trafficCapture().pcap, readBytes(kDataDir + "traffic.pcap"))
      << "run capture-gen tests/data/capture and review the diff";
  EXPECT_EQ(gen::cfmCapture().pcap, readBytes(kDataDir + "cfm.pcap"));
}

TEST(CaptureFilesTest, PerCircuitCountsMatchWhatTheGeneratorWrote) {
  const auto truth = gen::trafficCapture();
  const auto c = counterFor("traffic.pcap", nullptr);
  ASSERT_EQ(c.circuits().size(), truth.circuits.size());
  for (const auto& ct : c.circuits()) {
    SCOPED_TRACE(ct.circuit);
    const auto& t = truth.circuits.at(ct.circuit);
    EXPECT_EQ(ct.packets, t.packets);
    EXPECT_EQ(ct.bytes, t.bytes);
    EXPECT_EQ(ct.in_bytes, t.in_bytes);
    EXPECT_EQ(ct.out_bytes, t.out_bytes);
  }
  EXPECT_EQ(c.totals().truncated, truth.truncated_filtered);
  EXPECT_EQ(c.totals().malformed, truth.malformed);
  EXPECT_EQ(c.totals().unmatched, truth.unmatched_filtered);
  EXPECT_EQ(c.totals().problems.size(), truth.truncated_filtered + truth.malformed);
}

TEST(CaptureFilesTest, WithoutTheFilterEveryFrameIsSeenAndCounted) {
  const auto truth = gen::trafficCapture();
  const auto c = counterFor("traffic.pcap", nullptr, false);
  EXPECT_EQ(c.totals().frames, truth.frames);
  EXPECT_EQ(c.totals().truncated, truth.truncated_all);
  EXPECT_EQ(c.totals().malformed, truth.malformed);
  EXPECT_EQ(c.totals().unmatched, truth.unmatched_all);
  EXPECT_EQ(c.totals().matched + c.totals().unmatched + c.totals().truncated + c.totals().malformed,
            truth.frames);
}

TEST(CaptureFilesTest, ThroughputSamplesAreCaptureSourcedAverages) {
  const auto c = counterFor("traffic.pcap", nullptr);
  const auto samples = c.throughputSamples();
  ASSERT_EQ(samples.size(), 5u);
  const double span = c.spanSeconds();
  ASSERT_GT(span, 9.0);
  for (const auto& s : samples) {
    EXPECT_EQ(s.source, circuitd::ThroughputSample::Source::Capture);
    if (s.circuit == "STN-PREFIX-A") {
      EXPECT_NEAR(s.in_bps, 40 * 1514 * 8 / span, 1e-6);
      EXPECT_NEAR(s.out_bps, 20 * 200 * 8 / span, 1e-6);
    }
    if (s.circuit == "STN-VLAN100") {
      EXPECT_NEAR(s.in_bps, 100 * 1000 * 8 / span, 1e-6);
    }
  }
}

TEST(CaptureFilesTest, CcmGapRaisesLocAndRdiIsReportedPerMep) {
  std::vector<circuitd::CfmSample> samples;
  const auto c = counterFor("cfm.pcap", &samples);
  const auto& meps = c.ccm().meps();
  ASSERT_EQ(meps.size(), 2u);  // the CCM with interval code 0 is malformed, not a MEP
  const auto& m11 = meps.at("5/100/11");
  EXPECT_EQ(m11.circuit, "STN-VLAN100");
  EXPECT_EQ(m11.ma_name, "ma-100");
  EXPECT_EQ(m11.ccms, 25u);
  EXPECT_EQ(m11.loc_events, 1u);
  EXPECT_EQ(m11.sequence_errors, 1u);
  EXPECT_EQ(m11.rdi_ccms, 5u);
  EXPECT_FALSE(m11.loc);
  const auto& m21 = meps.at("6/0/21");
  EXPECT_DOUBLE_EQ(m21.interval_ms, 100.0);
  EXPECT_TRUE(m21.loc);  // silent from 19.95 s to the end of the file
  EXPECT_EQ(c.totals().malformed, 1u);

  // Samples in the order packet time discovers them: two MEPs seen, 11 LOC at 9.003 + 3.5 s,
  // restored at 15.003 s, 11 RDI on at 20.003 s, then 21's LOC, found by the next frame
  // (21.003 s) but stamped 19.95 + 0.35 s, and 11's RDI off at 25.003 s.
  const std::int64_t t0 = 1793491200LL * 1000;
  std::vector<std::tuple<std::string, std::int64_t, bool, bool>> got;
  for (const auto& s : samples)
    got.emplace_back(s.mep, circuitd::toUnixMs(s.time) - t0, s.loss_of_continuity, s.rdi);
  const std::vector<std::tuple<std::string, std::int64_t, bool, bool>> want = {
      {"5/100/11", 3, false, false},    {"6/0/21", 50, false, false},
      {"5/100/11", 12503, true, false}, {"5/100/11", 15003, false, false},
      {"5/100/11", 20003, false, true}, {"6/0/21", 20300, true, false},
      {"5/100/11", 25003, false, false}};
  EXPECT_EQ(got, want);
}

TEST(CaptureFilesTest, TablesEqualTheKeptBaselines) {
  for (const std::string name : {"traffic", "cfm"}) {
    const auto c = counterFor(name + ".pcap", nullptr);
    EXPECT_EQ(cap::formatTable(c), readText(kDataDir + name + ".expected.txt")) << name;
  }
}

TEST(CaptureFilesTest, DamagedFileStopsWithAnErrorAndKeepsWhatWasCounted) {
  auto bytes = gen::trafficCapture().pcap;
  // Cut the file in the middle of a record: libpcap reports a truncated dump file.
  bytes.resize(bytes.size() - 100);
  const std::string path = ::testing::TempDir() + "damaged-" + std::to_string(::getpid()) + ".pcap";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto c = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(c);
  auto r = cap::readFile(path, *c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("after frame"), std::string::npos) << r.error().str();
  EXPECT_GT(c->totals().matched, 200u);
  std::remove(path.c_str());
}

TEST(CaptureFilesTest, MissingFileAndForeignLinkTypeAreErrorsNotCrashes) {
  auto c = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(c);
  EXPECT_FALSE(cap::readFile(kDataDir + "does-not-exist.pcap", *c));
  auto bytes = gen::trafficCapture().pcap;
  bytes[20] = 101;  // LINKTYPE_RAW
  const std::string path = ::testing::TempDir() + "raw-" + std::to_string(::getpid()) + ".pcap";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto r = cap::readFile(path, *c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("not Ethernet"), std::string::npos);
  std::remove(path.c_str());
}

TEST(CaptureFilesTest, PeriodicSamplesSplitTheFileIntoIntervalsOfPacketTime) {
  auto c = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(c);
  std::vector<circuitd::ThroughputSample> samples;
  cap::CaptureOptions opt;
  opt.sample_seconds = 2;
  opt.on_throughput = [&](const circuitd::ThroughputSample& s) { samples.push_back(s); };
  ASSERT_TRUE(cap::readFile(kDataDir + "traffic.pcap", *c, {}, opt));
  // The file spans 0 .. 9.9 s: four whole 2 s intervals, five circuits each.
  ASSERT_EQ(samples.size(), 4u * 5u);
  const std::int64_t t0 = 1793491200LL * 1000;
  double vlan100_bits = 0;
  for (const auto& s : samples) {
    EXPECT_EQ((circuitd::toUnixMs(s.time) - t0) % 2000, 0);
    if (s.circuit == "STN-VLAN100") {
      // One 1000-octet frame every 100 ms: 20 per 2 s interval = 80 kbit/s.
      EXPECT_NEAR(s.in_bps, 80e3, 1e-6);
      vlan100_bits += s.in_bps * 2;
    }
  }
  EXPECT_NEAR(vlan100_bits, 80 * 1000 * 8, 1e-6);
}

// Windows over a file: contiguous, adding up to what the counter counted in them; a new
// inventory given at a boundary keys circuits from the next window on while the MEP state and
// the counts of the circuits it keeps carry on.
TEST(CaptureFilesTest, WindowsAddUpAndANewInventoryKeepsTheMepState) {
  auto plain = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(plain);
  ASSERT_TRUE(cap::readFile(kDataDir + "cfm.pcap", *plain));

  auto c = cap::TrafficCounter::create(gen::inventory());
  ASSERT_TRUE(c);
  circuitd::Inventory fewer = gen::inventory();
  std::erase_if(fewer.circuits, [](const circuitd::Circuit& x) { return x.key == "STN-QINQ"; });
  std::vector<cap::CaptureWindow> windows;
  cap::CaptureOptions opt;
  opt.sample_seconds = 5;
  opt.on_window = [&](const cap::CaptureWindow& w) {
    windows.push_back(w);
    if (windows.size() == 2) {
      ASSERT_TRUE(c->setInventory(fewer));
    }
  };
  ASSERT_TRUE(cap::readFile(kDataDir + "cfm.pcap", *c, {}, opt));
  // The file spans 0.003 .. 29.5 s: five whole 5 s windows.
  ASSERT_EQ(windows.size(), 5u);
  std::uint64_t frames = 0, vlan100 = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(windows[i].start_us, windows[i - 1].end_us) << i;
    }
    frames += windows[i].frames;
    EXPECT_EQ(windows[i].circuits.size(), i < 2 ? 5u : 4u) << i;
    for (const auto& ct : windows[i].circuits)
      if (ct.circuit == "STN-VLAN100") vlan100 += ct.packets;
  }
  // The partial last window (from 25.003 s) is not sent.
  EXPECT_LT(frames, c->totals().frames);
  EXPECT_EQ(c->circuits().size(), 4u);
  EXPECT_EQ(c->totals().frames, plain->totals().frames);
  EXPECT_EQ(c->circuits()[0].circuit, "STN-VLAN100");
  EXPECT_EQ(c->circuits()[0].packets, plain->circuits()[0].packets);
  EXPECT_GT(vlan100, 0u);
  EXPECT_LE(vlan100, c->circuits()[0].packets);
  // The MEPs went through the same states as without windows and the re-keying.
  ASSERT_EQ(c->ccm().meps().size(), plain->ccm().meps().size());
  for (const auto& [key, m] : plain->ccm().meps()) {
    SCOPED_TRACE(key);
    const auto& n = c->ccm().meps().at(key);
    EXPECT_EQ(n.ccms, m.ccms);
    EXPECT_EQ(n.loc_events, m.loc_events);
    EXPECT_EQ(n.loc, m.loc);
    EXPECT_EQ(n.rdi_ccms, m.rdi_ccms);
    EXPECT_EQ(n.sequence_errors, m.sequence_errors);
  }
}
