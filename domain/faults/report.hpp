#pragma once
// The hotline report: what the customer's staff read out to the carrier's fault hotline
// (8008281000, clause 7.4.1), Chinese with English alongside, plain text fit for e-mail.
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/time.hpp"
#include "domain/faults/fault.hpp"

namespace circuitd::faults {

/// The carrier's fault hotline (contract clause 7.4.1).
inline constexpr const char* kCarrierHotline = "8008281000";

/// Everything the report is made from.
struct ReportInput {
  Fault fault;
  std::optional<Circuit> circuit;  ///< inventory entry; absent if the circuit is unknown
  std::string customer;            ///< contract party A; empty when not recorded
  std::vector<Note> notes;
  TimePoint now;                            ///< for the duration of a fault still down
  std::chrono::minutes utc_offset{8 * 60};  ///< local time shown next to UTC (China: +8)
};

/// Renders the report; lines end in "\n", no tabs, UTF-8.
std::string renderHotlineReport(const ReportInput& in);

/// "1 h 25 min" / "1小时25分" style durations, both languages: {zh, en}.
std::pair<std::string, std::string> formatDuration(Duration d);

/// Chinese and English description of a fault location: {zh, en}.
std::pair<std::string, std::string> describeLocation(FaultLocation l);
/// Chinese and English name of a responsible party: {zh, en}.
std::pair<std::string, std::string> describeParty(Party p);
/// Chinese and English gist of a contract clause, {"", ""} for an unknown clause.
std::pair<std::string, std::string> describeClause(const std::string& clause);

}  // namespace circuitd::faults
