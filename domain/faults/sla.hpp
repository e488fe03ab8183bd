#pragma once
// The SLA record: per circuit and calendar month, outage minutes split by responsible party,
// announced maintenance (7.6) and force majeure (11.1); availability in percent; and the
// contract's money rules where they apply (6.5.1 pro-rated first month, 9.3 late-opening
// compensation, 9.6/9.7 liability caps, from domain/contract/money.hpp). Pure arithmetic over
// stored outage intervals.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"
#include "domain/faults/fault.hpp"

namespace circuitd::faults {

/// A calendar month.
struct Month {
  int year = 1970;
  int month = 1;  ///< 1..12
  /// "2024-07".
  std::string str() const;
  /// The month before.
  Month previous() const;
};

/// Parses "YYYY-MM"; the error names the text.
Result<Month> parseMonth(const std::string& s);
/// Number of days in the month.
int daysIn(Month m);

/// What clause 9.3 needs to know about a circuit's opening (not part of the inventory).
struct OpeningTerms {
  std::string due_date;               ///< contractual opening deadline, "YYYY-MM-DD"
  std::string opened_date;            ///< actual opening, "YYYY-MM-DD"
  double one_time_fee = 0;            ///< the circuit's one-time (installation) fee
  std::vector<std::string> holidays;  ///< public holidays between the two, "YYYY-MM-DD"
};

/// How months are cut and which money rules apply.
struct SlaOptions {
  /// Month boundaries are local midnight at this offset; the contract is billed in China
  /// Standard Time (UTC+8).
  std::chrono::minutes utc_offset{8 * 60};
  /// Count as undetermined what no party was found for (otherwise it is left out).
  bool count_undetermined = true;
  /// 9.3 terms per circuit key, for circuits whose opening is being settled.
  std::map<std::string, OpeningTerms> opening;
};

/// One circuit's month.
struct SlaRecord {
  std::string circuit;
  std::string link_id;
  std::string contract;
  std::string site;
  std::string month;          ///< "2024-07"
  double period_minutes = 0;  ///< minutes in service this month (whole month or less)
  double carrier_minutes = 0;
  double customer_minutes = 0;
  double undetermined_minutes = 0;
  double maintenance_minutes = 0;    ///< announced carrier work, excluded
  double force_majeure_minutes = 0;  ///< clause 11.1, excluded
  int outages = 0;                   ///< intervals that overlap the month (not maintenance)
  /// 100 * (period - carrier - customer - undetermined) / period.
  double availability_pct = 100;
  /// 100 * (period - carrier) / period: what the carrier is answerable for.
  double carrier_availability_pct = 100;
  double monthly_fee = 0;
  double fee_due = 0;  ///< 6.5.1: first/last month by days in service
  int days_in_service = 0;
  bool prorated = false;
  /// 9.6/9.7: 0.1 % of the fees of the last three months (this month and the two before).
  double liability_cap = 0;
  /// 9.3: late-opening compensation, in the opening month of a circuit with OpeningTerms.
  double late_opening_compensation = 0;
  int working_days_late = 0;
};

/// The record of one circuit for one month from its outage intervals (any order, any circuit:
/// intervals of other circuits are ignored). `until` bounds open intervals (now, or replay end).
SlaRecord computeSla(const Circuit& c, const std::vector<OutageInterval>& intervals, Month m,
                     TimePoint until, const SlaOptions& opt = {});

/// [start, end) of a month in UTC for the offset.
std::pair<TimePoint, TimePoint> monthBounds(Month m, std::chrono::minutes utc_offset);

}  // namespace circuitd::faults
