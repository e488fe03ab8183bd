#pragma once
// The contract's money rules (clauses 1.9, 5.1, 6.5.1, 6.5.3, 9.3, 9.6, 9.7) as pure functions
// over calendar dates. Money is a double in yuan, rounded to cents on the way out of each
// function; callers that add many results should round the sum again.
#include <chrono>
#include <vector>

namespace circuitd::contract {

/// Rounds a yuan amount to the nearest cent (half away from zero).
double roundToCents(double yuan);

/// Number of days in the month of `d` (28..31).
int daysInMonth(std::chrono::year_month_day d);

/// 6.5.1: first month charged by actual days used: monthly_fee * days_used / days_in_month (opened
/// day counts).
double proratedFirstMonthFee(double monthly_fee, std::chrono::year_month_day opened);

/// Fee for a whole month in which service ran from `from` to `to` inclusive (6.5.1/6.5.3 by actual
/// days).
double feeForDays(double monthly_fee, std::chrono::year_month_day from,
                  std::chrono::year_month_day to);

/// 5.1: service stops at the date the notice names, but never before the 31st day after the carrier
/// received it.
std::chrono::year_month_day terminationEffectiveDate(std::chrono::year_month_day notice_received,
                                                     std::chrono::year_month_day requested);

/// Working days (Mon-Fri, minus listed holidays) after `due` up to and including `actual` (1.9).
int workingDaysLate(std::chrono::year_month_day due, std::chrono::year_month_day actual,
                    const std::vector<std::chrono::year_month_day>& holidays = {});

/// 9.3: 10% of the one-time fee per working day late, at most the first month's fee.
double lateOpeningCompensation(double one_time_fee, int working_days_late, double first_month_fee);

/// 9.6/9.7: liability cap = rate (0.1% = 0.001) of the fees of the last three months.
double liabilityCap(double fees_last_three_months, double rate = 0.001);

}  // namespace circuitd::contract
