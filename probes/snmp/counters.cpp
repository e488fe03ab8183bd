#include "probes/snmp/counters.hpp"

#include <cmath>

namespace circuitd::snmp {

namespace {
constexpr double kTicksPerSecond = 100.0;
constexpr double kUptimeWrapTicks = 4294967296.0;  // 2^32 TimeTicks, about 497.1 days
// Octet rates above line speed by more than this factor are a reset or a bogus value.
constexpr double kLineSpeedSlack = 1.1;
}  // namespace

std::optional<std::uint64_t> counterDelta(std::uint64_t prev, std::uint64_t cur, CounterWidth w) {
  if (w == CounterWidth::Bits32) {
    return static_cast<std::uint32_t>(static_cast<std::uint32_t>(cur) -
                                      static_cast<std::uint32_t>(prev));
  }
  if (cur < prev) return std::nullopt;
  return cur - prev;
}

bool agentRestarted(const CounterSnapshot& prev, const CounterSnapshot& cur) {
  if (!prev.sys_uptime || !cur.sys_uptime) return false;
  if (*cur.sys_uptime >= *prev.sys_uptime) return false;
  // sysUpTime is a TimeTicks that wraps after 2^32 ticks. A decrease is a wrap only when the
  // wrapped delta agrees with the poller's clock (within 10 % plus 10 s); otherwise a restart.
  const double wrapped = kUptimeWrapTicks - *prev.sys_uptime + *cur.sys_uptime;
  const double wall_ticks =
      std::chrono::duration<double>(cur.time - prev.time).count() * kTicksPerSecond;
  if (wall_ticks <= 0) return true;
  return std::fabs(wrapped - wall_ticks) > wall_ticks * 0.1 + 1000.0;
}

std::optional<double> elapsedSeconds(const CounterSnapshot& prev, const CounterSnapshot& cur) {
  if (prev.sys_uptime && cur.sys_uptime && !agentRestarted(prev, cur)) {
    const std::uint32_t ticks = *cur.sys_uptime - *prev.sys_uptime;  // modular: handles the wrap
    if (ticks > 0) return ticks / kTicksPerSecond;
  }
  const double wall = std::chrono::duration<double>(cur.time - prev.time).count();
  if (wall > 0) return wall;
  return std::nullopt;
}

CounterRates computeRates(const CounterSnapshot& prev, const CounterSnapshot& cur,
                          std::optional<std::uint32_t> high_speed_mbps) {
  CounterRates r;
  auto withhold = [&r](std::string why) {
    r.discontinuity = true;
    r.reason = std::move(why);
    return r;
  };
  if (agentRestarted(prev, cur)) return withhold("agent restarted (sysUpTime went backwards)");
  if (prev.discontinuity_time && cur.discontinuity_time &&
      *prev.discontinuity_time != *cur.discontinuity_time)
    return withhold("ifCounterDiscontinuityTime changed");
  if (prev.width != cur.width) return withhold("counter width changed");
  const auto secs = elapsedSeconds(prev, cur);
  if (!secs) return withhold("no time elapsed between samples");
  r.interval_s = *secs;

  const double line_Bps =
      high_speed_mbps && *high_speed_mbps > 0 ? *high_speed_mbps * 1e6 / 8.0 : 0.0;
  if (cur.width == CounterWidth::Bits32 && line_Bps > 0 && line_Bps * *secs >= kUptimeWrapTicks)
    return withhold("Counter32 may have wrapped more than once at this line speed");

  auto octetRate = [&](std::optional<std::uint64_t> a, std::optional<std::uint64_t> b,
                       std::optional<double>& out) -> bool {
    if (!a || !b) return true;
    const auto d = counterDelta(*a, *b, cur.width);
    if (!d) return false;
    const double Bps = static_cast<double>(*d) / *secs;
    if (line_Bps > 0 && Bps > line_Bps * kLineSpeedSlack) return false;
    out = Bps * 8.0;
    return true;
  };
  if (!octetRate(prev.in_octets, cur.in_octets, r.in_bps) ||
      !octetRate(prev.out_octets, cur.out_octets, r.out_bps)) {
    r.in_bps.reset();
    r.out_bps.reset();
    return withhold("octet counter reset or rate above line speed");
  }
  auto errRate = [&](std::optional<std::uint32_t> a, std::optional<std::uint32_t> b,
                     std::optional<double>& out) {
    if (!a || !b) return;
    out = static_cast<double>(*counterDelta(*a, *b, CounterWidth::Bits32)) / *secs;
  };
  errRate(prev.in_errors, cur.in_errors, r.in_errors_per_s);
  errRate(prev.out_errors, cur.out_errors, r.out_errors_per_s);
  errRate(prev.in_discards, cur.in_discards, r.in_discards_per_s);
  return r;
}

std::optional<double> utilisation(std::optional<double> bps,
                                  std::optional<double> contracted_mbps) {
  if (!bps || !contracted_mbps || *contracted_mbps <= 0) return std::nullopt;
  return *bps / (*contracted_mbps * 1e6);
}

}  // namespace circuitd::snmp
