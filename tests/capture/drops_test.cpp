// What a live capture's drops turn into outside the capture loop: the rate-limited warning
// (DropWarnings, as the daemon uses it) and the counters /metrics exposes.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "daemon/http/router.hpp"
#include "probes/capture/traffic_counter.hpp"

namespace cap = circuitd::capture;
using namespace std::chrono_literals;

namespace {

cap::CaptureWindow window(std::uint64_t frames, std::uint64_t dropped,
                          std::uint64_t interface_dropped = 0) {
  cap::CaptureWindow w;
  w.frames = frames;
  w.dropped = dropped;
  w.interface_dropped = interface_dropped;
  return w;
}

}  // namespace

TEST(DropWarnings, TheFirstDropsWarnAtOnceThenAtMostOnceAMinuteWithEverythingInBetween) {
  cap::DropWarnings warn;  // once a minute
  const auto t0 = cap::DropWarnings::Clock::time_point{} + 1h;
  EXPECT_FALSE(warn.add(window(100, 0), t0)) << "no drop, no warning";

  auto first = warn.add(window(100, 7, 2), t0 + 10s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->dropped, 7u);
  EXPECT_EQ(first->interface_dropped, 2u);
  EXPECT_EQ(first->windows, 1u);

  // Within the minute: counted, not logged.
  EXPECT_FALSE(warn.add(window(100, 5), t0 + 20s));
  EXPECT_FALSE(warn.add(window(100, 0), t0 + 30s));
  EXPECT_FALSE(warn.add(window(100, 3, 1), t0 + 69s));
  // The minute is over: the next window brings the summary, even a window without drops.
  auto second = warn.add(window(100, 0), t0 + 70s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->dropped, 8u);
  EXPECT_EQ(second->interface_dropped, 1u);
  EXPECT_EQ(second->windows, 2u);

  // Nothing pending: quiet windows stay quiet however long it has been.
  EXPECT_FALSE(warn.add(window(100, 0), t0 + 10min));
  auto third = warn.add(window(100, 1), t0 + 11min);
  ASSERT_TRUE(third) << "more than a minute since the last warning";
  EXPECT_EQ(third->dropped, 1u);
}

TEST(CaptureMetrics, CountersAppearWhenTheDaemonCaptures) {
  circuitd::http::Snapshot snap;
  auto r = circuitd::http::route("GET", "/metrics", snap);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body.find("circuitd_capture_"), std::string::npos)
      << "no capture interface, no capture counters";

  snap.capture = circuitd::http::CaptureCounters{12345, 678, 9};
  r = circuitd::http::route("GET", "/metrics", snap);
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("# TYPE circuitd_capture_frames_total counter\n"
                        "circuitd_capture_frames_total 12345\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("# TYPE circuitd_capture_dropped_total counter\n"
                        "circuitd_capture_dropped_total 678\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("# TYPE circuitd_capture_interface_dropped_total counter\n"
                        "circuitd_capture_interface_dropped_total 9\n"),
            std::string::npos)
      << r.body;
}
