#include "domain/faults/sla.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "domain/contract/money.hpp"

namespace circuitd::faults {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

std::string Month::str() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
  return buf;
}

Month Month::previous() const { return month == 1 ? Month{year - 1, 12} : Month{year, month - 1}; }

Result<Month> parseMonth(const std::string& s) {
  int y = 0, m = 0;
  char tail = 0;
  if (s.size() != 7 || std::sscanf(s.c_str(), "%4d-%2d%c", &y, &m, &tail) != 2 || s[4] != '-')
    return fail("month \"" + s + "\"", "expected YYYY-MM, e.g. 2024-07");
  if (m < 1 || m > 12 || y < 1970 || y > 9999)
    return fail("month \"" + s + "\"", "month out of range");
  return Month{y, m};
}

int daysIn(Month m) {
  const auto ymdl = std::chrono::year_month_day_last{
      std::chrono::year{m.year} / std::chrono::month{static_cast<unsigned>(m.month)} /
      std::chrono::last};
  return static_cast<int>(static_cast<unsigned>(ymdl.day()));
}

std::pair<TimePoint, TimePoint> monthBounds(Month m, std::chrono::minutes off) {
  const auto first =
      sys_days{std::chrono::year{m.year} / std::chrono::month{static_cast<unsigned>(m.month)} / 1};
  const auto start = TimePoint{first} - off;
  return {start, start + days{daysIn(m)}};
}

namespace {

std::optional<sys_days> parseDate(const std::string& s) {
  int y = 0, m = 0, d = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
  const year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                           std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

double minutes(Duration d) { return static_cast<double>(d.count()) / 60000.0; }

// Days of month m the circuit is in service, from its contract term (both ends inclusive).
int daysInService(const Circuit& c, Month m, sys_days& first, sys_days& last) {
  const auto mfirst =
      sys_days{std::chrono::year{m.year} / std::chrono::month{static_cast<unsigned>(m.month)} / 1};
  const auto mlast = mfirst + days{daysIn(m) - 1};
  first = mfirst;
  last = mlast;
  if (c.term_start)
    if (auto d = parseDate(*c.term_start)) first = std::max(first, *d);
  if (c.term_end)
    if (auto d = parseDate(*c.term_end)) last = std::min(last, *d);
  if (last < first) return 0;
  return static_cast<int>((last - first).count()) + 1;
}

}  // namespace

SlaRecord computeSla(const Circuit& c, const std::vector<OutageInterval>& intervals, Month m,
                     TimePoint until, const SlaOptions& opt) {
  SlaRecord r;
  r.circuit = c.key;
  r.link_id = c.link_id;
  r.contract = c.contract;
  r.site = c.site;
  r.month = m.str();
  r.monthly_fee = c.monthly_fee;

  sys_days first{}, last{};
  r.days_in_service = daysInService(c, m, first, last);
  const int dim = daysIn(m);
  r.prorated = r.days_in_service != dim;
  r.fee_due = r.days_in_service > 0
                  ? contract::feeForDays(c.monthly_fee, year_month_day{first}, year_month_day{last})
                  : 0.0;
  // 9.6/9.7: fees of this month and the two before, each by its days in service (6.5.1).
  double three = r.fee_due;
  Month p = m;
  for (int i = 0; i < 2; ++i) {
    p = p.previous();
    sys_days f2{}, l2{};
    if (daysInService(c, p, f2, l2) > 0)
      three += contract::feeForDays(c.monthly_fee, year_month_day{f2}, year_month_day{l2});
  }
  r.liability_cap = contract::liabilityCap(three);
  // 9.3 is settled against the first month's fee, so it shows in the opening month.
  if (auto it = opt.opening.find(c.key); it != opt.opening.end()) {
    const OpeningTerms& ot = it->second;
    auto due = parseDate(ot.due_date);
    auto opened = parseDate(ot.opened_date);
    if (due && opened) {
      const year_month_day oy{*opened};
      if (static_cast<int>(oy.year()) == m.year &&
          static_cast<unsigned>(oy.month()) == static_cast<unsigned>(m.month)) {
        std::vector<year_month_day> hol;
        for (const auto& h : ot.holidays)
          if (auto d = parseDate(h)) hol.emplace_back(*d);
        r.working_days_late =
            contract::workingDaysLate(year_month_day{*due}, year_month_day{*opened}, hol);
        r.late_opening_compensation = contract::lateOpeningCompensation(
            ot.one_time_fee, r.working_days_late,
            contract::proratedFirstMonthFee(c.monthly_fee, year_month_day{*opened}));
      }
    }
  }
  if (r.days_in_service == 0) {
    r.availability_pct = r.carrier_availability_pct = 100;
    return r;
  }

  const TimePoint pstart = TimePoint{first} - opt.utc_offset;
  const TimePoint pend = TimePoint{last + days{1}} - opt.utc_offset;
  r.period_minutes = minutes(pend - pstart);
  for (const auto& iv : intervals) {
    if (iv.circuit != c.key) continue;
    const TimePoint s = std::max(iv.start, pstart);
    const TimePoint e = std::min(iv.end.value_or(std::max(until, iv.start)), pend);
    if (e <= s) continue;
    const double mins = minutes(e - s);
    if (iv.maintenance) {
      r.maintenance_minutes += mins;
      continue;
    }
    ++r.outages;
    if (iv.force_majeure)
      r.force_majeure_minutes += mins;
    else if (iv.party == Party::Carrier)
      r.carrier_minutes += mins;
    else if (iv.party == Party::Customer)
      r.customer_minutes += mins;
    else if (opt.count_undetermined)
      r.undetermined_minutes += mins;
  }
  const double counted = r.carrier_minutes + r.customer_minutes + r.undetermined_minutes;
  r.availability_pct = 100.0 * (r.period_minutes - counted) / r.period_minutes;
  r.carrier_availability_pct = 100.0 * (r.period_minutes - r.carrier_minutes) / r.period_minutes;
  return r;
}

}  // namespace circuitd::faults
