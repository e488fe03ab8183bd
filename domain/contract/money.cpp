#include "domain/contract/money.hpp"

#include <algorithm>
#include <cmath>

namespace circuitd::contract {

using std::chrono::day;
using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;
using std::chrono::year_month_day_last;

double roundToCents(double yuan) { return std::round(yuan * 100.0) / 100.0; }

int daysInMonth(year_month_day d) {
  return static_cast<int>(static_cast<unsigned>(
      year_month_day_last{d.year(), std::chrono::month_day_last{d.month()}}.day()));
}

double proratedFirstMonthFee(double monthly_fee, year_month_day opened) {
  // 6.5.1 charges "by actual days used" in the opening month; the opening day is a day of use.
  const year_month_day last{
      year_month_day_last{opened.year(), std::chrono::month_day_last{opened.month()}}};
  return feeForDays(monthly_fee, opened, last);
}

double feeForDays(double monthly_fee, year_month_day from, year_month_day to) {
  if (!from.ok() || !to.ok() || sys_days{to} < sys_days{from}) return 0.0;
  // A span may cross month ends: each month is charged by its own length, so the same day costs
  // fee/31 in January and fee/29 in February 2024.
  double total = 0.0;
  sys_days cur{from};
  const sys_days end{to};
  while (cur <= end) {
    const year_month_day ymd{cur};
    const sys_days month_last{
        year_month_day_last{ymd.year(), std::chrono::month_day_last{ymd.month()}}};
    const sys_days stop = std::min(month_last, end);
    const auto used = (stop - cur).count() + 1;
    total += monthly_fee * static_cast<double>(used) / daysInMonth(ymd);
    cur = stop + days{1};
  }
  return roundToCents(total);
}

year_month_day terminationEffectiveDate(year_month_day notice_received, year_month_day requested) {
  // 5.1: the notice period is at least thirty days after receipt, counted from the day after
  // receipt (Civil Code art. 201), so the earliest stop date is the 31st day after receipt.
  const sys_days earliest = sys_days{notice_received} + days{31};
  if (!requested.ok() || sys_days{requested} < earliest) return year_month_day{earliest};
  return requested;
}

int workingDaysLate(year_month_day due, year_month_day actual,
                    const std::vector<year_month_day>& holidays) {
  if (!due.ok() || !actual.ok()) return 0;
  int n = 0;
  for (sys_days d = sys_days{due} + days{1}; d <= sys_days{actual}; d += days{1}) {
    const std::chrono::weekday wd{d};
    if (wd == std::chrono::Saturday || wd == std::chrono::Sunday) continue;
    const year_month_day ymd{d};
    if (std::find(holidays.begin(), holidays.end(), ymd) != holidays.end()) continue;
    ++n;
  }
  return n;
}

double lateOpeningCompensation(double one_time_fee, int working_days_late, double first_month_fee) {
  if (working_days_late <= 0 || one_time_fee <= 0) return 0.0;
  const double raw = one_time_fee * 0.10 * working_days_late;
  return roundToCents(std::min(raw, std::max(0.0, first_month_fee)));
}

double liabilityCap(double fees_last_three_months, double rate) {
  return roundToCents(std::max(0.0, fees_last_three_months) * rate);
}

}  // namespace circuitd::contract
