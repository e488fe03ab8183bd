#include "domain/faults/sla.hpp"

#include <gtest/gtest.h>

#include "tests/support/engine_events.hpp"

using namespace circuitd;
using namespace circuitd::faults;

namespace {

using circuitd::testing::at;

OutageInterval iv(const char* start, const char* end, Party p, bool maint = false, bool fm = false,
                  const std::string& circuit = "L1") {
  OutageInterval i;
  i.circuit = circuit;
  i.start = at(start);
  if (end) i.end = at(end);
  i.party = p;
  i.maintenance = maint;
  i.force_majeure = fm;
  return i;
}

Circuit circuit() {
  Circuit c;
  c.key = "L1";
  c.link_id = "L1";
  c.monthly_fee = 3000;
  c.term_start = "2024-07-11";
  return c;
}

}  // namespace

TEST(SlaTest, SplitsDowntimeByPartyAndProratesTheFirstMonth) {
  // July 2024 in UTC+8; in service from 11 July: 21 days = 30240 minutes.
  std::vector<OutageInterval> ivs = {
      iv("2024-07-12T01:00:00Z", "2024-07-12T02:30:00Z", Party::Carrier),            // 90
      iv("2024-07-13T01:00:00Z", "2024-07-13T01:30:00Z", Party::Customer),           // 30
      iv("2024-07-14T01:00:00Z", "2024-07-14T01:15:00Z", Party::Undetermined),       // 15
      iv("2024-07-15T01:00:00Z", "2024-07-15T02:00:00Z", Party::Carrier, true),      // 60 maint.
      iv("2024-07-16T01:00:00Z", "2024-07-16T03:00:00Z", Party::None, false, true),  // 120 fm
      iv("2024-07-05T01:00:00Z", "2024-07-05T03:00:00Z", Party::Carrier),  // before service
      iv("2024-07-12T01:00:00Z", "2024-07-12T09:00:00Z", Party::Carrier, false, false, "L2"),
  };
  auto r = computeSla(circuit(), ivs, Month{2024, 7}, at("2024-08-31T00:00:00Z"));
  EXPECT_EQ(r.days_in_service, 21);
  EXPECT_TRUE(r.prorated);
  EXPECT_DOUBLE_EQ(r.period_minutes, 30240);
  EXPECT_DOUBLE_EQ(r.carrier_minutes, 90);
  EXPECT_DOUBLE_EQ(r.customer_minutes, 30);
  EXPECT_DOUBLE_EQ(r.undetermined_minutes, 15);
  EXPECT_DOUBLE_EQ(r.maintenance_minutes, 60);
  EXPECT_DOUBLE_EQ(r.force_majeure_minutes, 120);
  EXPECT_EQ(r.outages, 4);
  EXPECT_NEAR(r.availability_pct, 100.0 * (30240 - 135) / 30240, 1e-9);  // 99.5535714...
  EXPECT_NEAR(r.availability_pct, 99.55357142857143, 1e-9);
  EXPECT_NEAR(r.carrier_availability_pct, 99.70238095238095, 1e-9);
  EXPECT_DOUBLE_EQ(r.fee_due, 2032.26);  // 3000 * 21 / 31 = 2032.258 -> cents
  // 9.6/9.7: May and June were before service; 0.1 % of July's pro-rated fee = 2.03.
  EXPECT_DOUBLE_EQ(r.liability_cap, 2.03);
}

TEST(SlaTest, LiabilityCapSumsTheLastThreeMonths) {
  auto r = computeSla(circuit(), {}, Month{2024, 9}, at("2024-10-01T00:00:00Z"));
  EXPECT_FALSE(r.prorated);
  EXPECT_DOUBLE_EQ(r.fee_due, 3000);
  EXPECT_DOUBLE_EQ(r.period_minutes, 30 * 1440);
  EXPECT_DOUBLE_EQ(r.availability_pct, 100);
  // July 2032.26 + August 3000 + September 3000 = 8032.26; 0.1 % = 8.03
  EXPECT_DOUBLE_EQ(r.liability_cap, 8.03);
}

TEST(SlaTest, MonthBoundaryIsMidnightChinaStandardTime) {
  // 23:30 on 31 July to 00:30 on 1 August Beijing time: half in each month.
  std::vector<OutageInterval> ivs = {
      iv("2024-07-31T15:30:00Z", "2024-07-31T16:30:00Z", Party::Carrier)};
  Circuit c = circuit();
  c.term_start.reset();
  EXPECT_DOUBLE_EQ(computeSla(c, ivs, Month{2024, 7}, at("2024-09-01T00:00:00Z")).carrier_minutes,
                   30);
  EXPECT_DOUBLE_EQ(computeSla(c, ivs, Month{2024, 8}, at("2024-09-01T00:00:00Z")).carrier_minutes,
                   30);
}

TEST(SlaTest, OpenOutageCountsUpToUntil) {
  Circuit c = circuit();
  c.term_start.reset();
  std::vector<OutageInterval> ivs = {iv("2024-08-02T00:00:00Z", nullptr, Party::Carrier)};
  auto r = computeSla(c, ivs, Month{2024, 8}, at("2024-08-02T00:45:00Z"));
  EXPECT_DOUBLE_EQ(r.carrier_minutes, 45);
}

TEST(SlaTest, CircuitNotYetInServiceHasAnEmptyMonth) {
  auto r = computeSla(circuit(), {}, Month{2024, 6}, at("2024-07-01T00:00:00Z"));
  EXPECT_EQ(r.days_in_service, 0);
  EXPECT_DOUBLE_EQ(r.fee_due, 0);
  EXPECT_DOUBLE_EQ(r.period_minutes, 0);
}

TEST(SlaTest, LateOpeningCompensationShowsInTheOpeningMonth) {
  // Due Friday 5 July, opened Thursday 11 July: 8, 9, 10, 11 July = 4 working days late.
  // 9.3: 10 % of the one-time fee (2000) per day = 800, under the first month's 2032.26.
  SlaOptions opt;
  opt.opening["L1"] = OpeningTerms{"2024-07-05", "2024-07-11", 2000, {}};
  auto r = computeSla(circuit(), {}, Month{2024, 7}, at("2024-08-01T00:00:00Z"), opt);
  EXPECT_EQ(r.working_days_late, 4);
  EXPECT_DOUBLE_EQ(r.late_opening_compensation, 800);
  // A holiday on 10 July leaves 3 days: 600.
  opt.opening["L1"].holidays = {"2024-07-10"};
  r = computeSla(circuit(), {}, Month{2024, 7}, at("2024-08-01T00:00:00Z"), opt);
  EXPECT_DOUBLE_EQ(r.late_opening_compensation, 600);
  // Twelve working days late would be 2400: capped at the first month's fee.
  opt.opening["L1"] = OpeningTerms{"2024-06-25", "2024-07-11", 2000, {}};
  r = computeSla(circuit(), {}, Month{2024, 7}, at("2024-08-01T00:00:00Z"), opt);
  EXPECT_EQ(r.working_days_late, 12);
  EXPECT_DOUBLE_EQ(r.late_opening_compensation, 2032.26);
  // Not the opening month: nothing.
  r = computeSla(circuit(), {}, Month{2024, 8}, at("2024-09-01T00:00:00Z"), opt);
  EXPECT_DOUBLE_EQ(r.late_opening_compensation, 0);
}

TEST(SlaTest, ParsesMonthsAndRejectsGarbage) {
  auto m = parseMonth("2024-07");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->str(), "2024-07");
  EXPECT_EQ(daysIn(Month{2024, 2}), 29);
  EXPECT_EQ(daysIn(Month{2023, 2}), 28);
  EXPECT_FALSE(parseMonth("2024-13"));
  EXPECT_FALSE(parseMonth("2024-7"));
  EXPECT_FALSE(parseMonth("July"));
  EXPECT_EQ(Month({2024, 1}).previous().str(), "2023-12");
}
