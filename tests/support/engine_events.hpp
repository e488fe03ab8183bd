#pragma once
// Builders for what the engine takes in and gives out, for tests of the engine, the fault
// lifecycle, the store and the notifications: fixed instants, a small fleet of seed-contract
// circuits, ping samples, and circuit state changes as the engine would emit them.
#include <string>
#include <vector>

#include "domain/core/decision.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/observation.hpp"
#include "domain/core/time.hpp"

namespace circuitd::testing {

/// The instant an ISO 8601 text names ("2024-07-01T08:00:00+08:00"); the test's own literal.
TimePoint at(const char* iso);
/// 2024-07-01 08:00 China Standard Time, where engine timelines start.
TimePoint t0();
/// `seconds` after t0().
TimePoint at(int seconds);

/// Device "dev-<i>" on aggregation "agg-<i % aggs>", one circuit each, keyed by a contract link
/// id (the seed contract's first eight, then "XJWLM2405957CGN00#<i+1>"); carrier and customer
/// targets 127.10.0.<i+1> and 127.20.0.<i+1>.
Inventory fleet(int devices, int aggs = 2);

/// A ping of `target` sent at `t`, answered after `rtt_ms` or not at all.
ReachSample ping(const std::string& target, TimePoint t, bool replied, double rtt_ms = 2.0);

/// The events of kind `k`, in order.
std::vector<EngineEvent> ofKind(const std::vector<EngineEvent>& ev, EngineEventKind k);

/// A CircuitStateChanged event: `circuit` entered `state` at `t`. An outage rests on `location`
/// and `party` (the carrier's line by default), under clause 3.2.6 when the carrier answers for
/// it, summarised "line side down"; a recovery (Up) names no location, party or clause.
EngineEvent stateChange(const std::string& circuit, CircuitState state, TimePoint t,
                        FaultLocation location = FaultLocation::CarrierLine,
                        Party party = Party::Carrier);
/// stateChange to Down on the carrier's line.
EngineEvent down(const std::string& circuit, TimePoint t);
/// stateChange to Up.
EngineEvent up(const std::string& circuit, TimePoint t);

/// Event i of a deterministic storm over `circuits` circuits "C<n>": circuit i % circuits goes
/// down on even rounds and up on odd ones, one second apart from 2024-07-01T00:00:00Z, so with
/// no hold-off every event is exactly one fault transition (the store's crash test and the
/// driver it kills).
EngineEvent stormEvent(int i, int circuits);

}  // namespace circuitd::testing
