#pragma once
// Counter arithmetic, pure: octet and error counters of one interface turned into rates, with
// wrap and discontinuity rules from RFC 2863 (see docs/snmp.md "Counters to rates"). No I/O.
#include <cstdint>
#include <optional>
#include <string>

#include "domain/core/time.hpp"

namespace circuitd::snmp {

/// Width of the octet counters a snapshot came from.
enum class CounterWidth { Bits32, Bits64 };

/// One interface's counters as read in ONE PDU, with the agent clocks that qualify them.
struct CounterSnapshot {
  TimePoint time;                                   ///< poller clock when the reply arrived
  std::optional<std::uint32_t> sys_uptime;          ///< agent sysUpTime (1/100 s), same PDU
  std::optional<std::uint32_t> discontinuity_time;  ///< ifCounterDiscontinuityTime, same PDU
  CounterWidth width = CounterWidth::Bits64;
  std::optional<std::uint64_t> in_octets;
  std::optional<std::uint64_t> out_octets;
  std::optional<std::uint32_t> in_errors;
  std::optional<std::uint32_t> out_errors;
  std::optional<std::uint32_t> in_discards;
};

/// Rates between two snapshots; every rate is absent when the pair is discontinuous.
struct CounterRates {
  std::optional<double> in_bps;
  std::optional<double> out_bps;
  std::optional<double> in_errors_per_s;
  std::optional<double> out_errors_per_s;
  std::optional<double> in_discards_per_s;
  double interval_s = 0;       ///< seconds the rates are averaged over
  bool discontinuity = false;  ///< counters cannot be compared: rates withheld
  std::string reason;          ///< why, e.g. "agent restarted (sysUpTime went backwards)"
};

/// Delta of a counter of the given width. Counter32: modular (at most one wrap between polls).
/// Counter64: a decrease is a reset, not a wrap (2^64 octets take centuries), so nullopt.
std::optional<std::uint64_t> counterDelta(std::uint64_t prev, std::uint64_t cur, CounterWidth w);

/// True when sysUpTime decreased in a way the 2^32-tick (497-day) wrap does not explain.
bool agentRestarted(const CounterSnapshot& prev, const CounterSnapshot& cur);

/// Seconds between the snapshots: agent sysUpTime delta when both have it (the request may
/// have been queued in the poller), else the poller clock. nullopt when not positive.
std::optional<double> elapsedSeconds(const CounterSnapshot& prev, const CounterSnapshot& cur);

/// Rates from prev to cur. `high_speed_mbps` (ifHighSpeed) caps plausible octet rates at 110 %
/// of line speed and tells whether a Counter32 could have wrapped more than once.
CounterRates computeRates(const CounterSnapshot& prev, const CounterSnapshot& cur,
                          std::optional<std::uint32_t> high_speed_mbps);

/// bps as a fraction of a contracted bandwidth in Mbit/s (0.5 = half); nullopt if unknown.
std::optional<double> utilisation(std::optional<double> bps, std::optional<double> contracted_mbps);

}  // namespace circuitd::snmp
