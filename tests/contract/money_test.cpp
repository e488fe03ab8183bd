// The contract's money rules against hand-worked examples (2024: Jan 1 is a Monday, Feb has 29
// days).
#include "domain/contract/money.hpp"

#include <gtest/gtest.h>

using namespace std::chrono;
using namespace circuitd::contract;

namespace {
constexpr year_month_day ymd(int y, unsigned m, unsigned d) { return year{y} / month{m} / day{d}; }
}  // namespace

TEST(ContractMoneyTest, FirstMonthCountsTheOpeningDayAndTheRestOfTheMonth) {
  // Opened 17 January: days 17..31 are 15 of 31 days.
  EXPECT_DOUBLE_EQ(proratedFirstMonthFee(3100, ymd(2024, 1, 17)), 1500.00);
  EXPECT_DOUBLE_EQ(proratedFirstMonthFee(3100, ymd(2024, 1, 1)), 3100.00);
  EXPECT_DOUBLE_EQ(proratedFirstMonthFee(3100, ymd(2024, 1, 31)), 100.00);
}

TEST(ContractMoneyTest, FirstMonthUsesTheLengthOfThatMonthIncludingLeapFebruary) {
  EXPECT_DOUBLE_EQ(proratedFirstMonthFee(2900, ymd(2024, 2, 29)), 100.00);
  EXPECT_DOUBLE_EQ(proratedFirstMonthFee(2800, ymd(2023, 2, 15)), 1400.00);  // 14 of 28 days
  EXPECT_DOUBLE_EQ(proratedFirstMonthFee(3000, ymd(2024, 6, 21)), 1000.00);  // 10 of 30 days
}

TEST(ContractMoneyTest, FirstMonthFeeIsRoundedToCents) {
  // 1000 * 15 / 31 = 483.870967...
  EXPECT_DOUBLE_EQ(proratedFirstMonthFee(1000, ymd(2024, 1, 17)), 483.87);
}

TEST(ContractMoneyTest, FeeForDaysChargesInclusiveDaysOfTheMonth) {
  EXPECT_DOUBLE_EQ(feeForDays(3000, ymd(2024, 6, 1), ymd(2024, 6, 10)), 1000.00);
  EXPECT_DOUBLE_EQ(feeForDays(3000, ymd(2024, 6, 1), ymd(2024, 6, 30)), 3000.00);
  EXPECT_DOUBLE_EQ(feeForDays(3100, ymd(2024, 1, 5), ymd(2024, 1, 5)), 100.00);
}

TEST(ContractMoneyTest, FeeForDaysAcrossAMonthEndChargesEachMonthByItsOwnLength) {
  // 31 Jan = 3100/31 = 100; 1 Feb 2024 = 3100/29 = 106.896...
  EXPECT_DOUBLE_EQ(feeForDays(3100, ymd(2024, 1, 31), ymd(2024, 2, 1)), 206.90);
  // A whole year by days is twelve monthly fees.
  EXPECT_DOUBLE_EQ(feeForDays(1000, ymd(2024, 1, 1), ymd(2024, 12, 31)), 12000.00);
}

TEST(ContractMoneyTest, FeeForDaysIsZeroForAnEmptyOrInvalidSpan) {
  EXPECT_DOUBLE_EQ(feeForDays(3000, ymd(2024, 6, 10), ymd(2024, 6, 9)), 0.0);
  EXPECT_DOUBLE_EQ(feeForDays(3000, ymd(2024, 2, 30), ymd(2024, 3, 9)), 0.0);
}

TEST(ContractMoneyTest, TerminationShortNoticeMovesToThe31stDayAfterReceipt) {
  // Received 1 March, asks to stop 15 March: too short, stops 1 April (31 days after receipt).
  EXPECT_EQ(terminationEffectiveDate(ymd(2024, 3, 1), ymd(2024, 3, 15)), ymd(2024, 4, 1));
  // Asking for a date before the notice even arrived is short notice too.
  EXPECT_EQ(terminationEffectiveDate(ymd(2024, 3, 1), ymd(2024, 2, 1)), ymd(2024, 4, 1));
  // Across a year end.
  EXPECT_EQ(terminationEffectiveDate(ymd(2024, 12, 15), ymd(2024, 12, 31)), ymd(2025, 1, 15));
}

TEST(ContractMoneyTest, TerminationWithEnoughNoticeStopsOnTheRequestedDate) {
  EXPECT_EQ(terminationEffectiveDate(ymd(2024, 3, 1), ymd(2024, 5, 1)), ymd(2024, 5, 1));
  EXPECT_EQ(terminationEffectiveDate(ymd(2024, 3, 1), ymd(2024, 4, 1)), ymd(2024, 4, 1));
  EXPECT_EQ(terminationEffectiveDate(ymd(2024, 3, 1), ymd(2024, 4, 2)), ymd(2024, 4, 2));
}

TEST(ContractMoneyTest, WorkingDaysLateSkipWeekends) {
  // Due Friday 5 January; opened Monday 8 January: one working day late.
  EXPECT_EQ(workingDaysLate(ymd(2024, 1, 5), ymd(2024, 1, 8)), 1);
  // Opened Saturday 6 January: no working day has passed.
  EXPECT_EQ(workingDaysLate(ymd(2024, 1, 5), ymd(2024, 1, 6)), 0);
  // Due Friday 5, opened Friday 12: Mon..Fri.
  EXPECT_EQ(workingDaysLate(ymd(2024, 1, 5), ymd(2024, 1, 12)), 5);
}

TEST(ContractMoneyTest, WorkingDaysLateSkipListedHolidays) {
  // Labour Day 2024: 1-3 May (Wed-Fri) are holidays; due Tue 30 April, opened Mon 6 May.
  const std::vector<year_month_day> holidays{ymd(2024, 5, 1), ymd(2024, 5, 2), ymd(2024, 5, 3)};
  EXPECT_EQ(workingDaysLate(ymd(2024, 4, 30), ymd(2024, 5, 6), holidays), 1);
  EXPECT_EQ(workingDaysLate(ymd(2024, 4, 30), ymd(2024, 5, 6)), 4);
}

TEST(ContractMoneyTest, WorkingDaysLateIsZeroWhenOnTimeOrEarly) {
  EXPECT_EQ(workingDaysLate(ymd(2024, 1, 10), ymd(2024, 1, 10)), 0);
  EXPECT_EQ(workingDaysLate(ymd(2024, 1, 10), ymd(2024, 1, 3)), 0);
}

TEST(ContractMoneyTest, LateOpeningPaysTenPercentOfOneTimeFeePerWorkingDay) {
  EXPECT_DOUBLE_EQ(lateOpeningCompensation(1000, 3, 5000), 300.00);
  EXPECT_DOUBLE_EQ(lateOpeningCompensation(1234.5, 1, 5000), 123.45);
}

TEST(ContractMoneyTest, LateOpeningCompensationIsCappedAtTheFirstMonthFee) {
  EXPECT_DOUBLE_EQ(lateOpeningCompensation(1000, 20, 1500), 1500.00);
  EXPECT_DOUBLE_EQ(lateOpeningCompensation(1000, 15, 1500), 1500.00);
  EXPECT_DOUBLE_EQ(lateOpeningCompensation(1000, 14, 1500), 1400.00);
}

TEST(ContractMoneyTest, LateOpeningCompensationIsZeroWhenNotLate) {
  EXPECT_DOUBLE_EQ(lateOpeningCompensation(1000, 0, 1500), 0.0);
  EXPECT_DOUBLE_EQ(lateOpeningCompensation(1000, -2, 1500), 0.0);
}

TEST(ContractMoneyTest, LiabilityCapIsOneTenthPercentOfThreeMonthsFees) {
  // 560000 a year: three months 140000, cap 140 yuan.
  EXPECT_DOUBLE_EQ(liabilityCap(140000), 140.00);
  EXPECT_DOUBLE_EQ(liabilityCap(140000, 0.01), 1400.00);
  EXPECT_DOUBLE_EQ(liabilityCap(12345), 12.35);  // 12.345 rounds half away from zero
  EXPECT_DOUBLE_EQ(liabilityCap(-5), 0.0);
}
