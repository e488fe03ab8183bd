// CCM continuity per MEP on packet time: LOC after 3.5 intervals, recovery, RDI, sequence gaps.
#include <gtest/gtest.h>

#include "probes/capture/ccm_tracker.hpp"

namespace cap = circuitd::capture;

namespace {
cap::CcmInfo ccm(std::uint32_t seq, bool rdi = false, std::uint8_t code = 4) {
  cap::CcmInfo c;
  c.md_level = 5;
  c.mep_id = 11;
  c.sequence = seq;
  c.rdi = rdi;
  c.interval_code = code;
  return c;
}
constexpr std::int64_t kSec = 1'000'000;
}  // namespace

TEST(CcmTrackerTest, FirstCcmReportsTheMepWithoutLoc) {
  cap::CcmTracker t;
  const auto s = t.onCcm(ccm(1), 100, "STN1", 10 * kSec);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].mep, "5/100/11");
  EXPECT_EQ(s[0].circuit, "STN1");
  EXPECT_FALSE(s[0].loss_of_continuity);
  EXPECT_FALSE(s[0].rdi);
}

TEST(CcmTrackerTest, LossOfContinuityExactlyAfterThreeAndAHalfIntervals) {
  cap::CcmTracker t;
  t.onCcm(ccm(1), 100, "", 0);
  EXPECT_TRUE(t.advance(3'499'999).empty());
  const auto s = t.advance(3'500'000);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].loss_of_continuity);
  EXPECT_EQ(circuitd::toUnixMs(s[0].time), 3500);
  EXPECT_TRUE(t.advance(100 * kSec).empty());  // reported once
  EXPECT_EQ(t.meps().at("5/100/11").loc_events, 1u);
}

TEST(CcmTrackerTest, IntervalComesFromEachFramesFlags) {
  cap::CcmTracker t;
  t.onCcm(ccm(1, false, 3), 0, "", 0);  // 100 ms
  const auto s = t.advance(350'000);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].loss_of_continuity);
}

TEST(CcmTrackerTest, CcmAfterLocRestoresContinuityAndCountsTheSequenceGap) {
  cap::CcmTracker t;
  t.onCcm(ccm(1), 100, "", 0);
  const auto s = t.onCcm(ccm(7), 100, "", 6 * kSec);
  ASSERT_EQ(s.size(), 2u);  // LOC found on the way, then restored
  EXPECT_TRUE(s[0].loss_of_continuity);
  EXPECT_EQ(circuitd::toUnixMs(s[0].time), 3500);
  EXPECT_FALSE(s[1].loss_of_continuity);
  EXPECT_EQ(t.meps().at("5/100/11").sequence_errors, 1u);
}

TEST(CcmTrackerTest, RdiRaisedAndClearedAreReported) {
  cap::CcmTracker t;
  t.onCcm(ccm(1), 100, "", 0);
  EXPECT_TRUE(t.onCcm(ccm(2), 100, "", kSec).empty());
  const auto up = t.onCcm(ccm(3, true), 100, "", 2 * kSec);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_TRUE(up[0].rdi);
  EXPECT_TRUE(t.onCcm(ccm(4, true), 100, "", 3 * kSec).empty());
  const auto down = t.onCcm(ccm(5), 100, "", 4 * kSec);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_FALSE(down[0].rdi);
  EXPECT_EQ(t.meps().at("5/100/11").rdi_ccms, 2u);
  EXPECT_EQ(t.meps().at("5/100/11").sequence_errors, 0u);
}

TEST(CcmTrackerTest, MepsAreKeyedByLevelVlanAndMepid) {
  cap::CcmTracker t;
  t.onCcm(ccm(1), 100, "", 0);
  t.onCcm(ccm(1), 200, "", 0);
  auto other = ccm(1);
  other.md_level = 6;
  t.onCcm(other, 100, "", 0);
  EXPECT_EQ(t.meps().size(), 3u);
}
