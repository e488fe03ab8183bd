#include "probes/capture/ccm_tracker.hpp"

#include <fmt/format.h>

namespace circuitd::capture {
namespace {

CfmSample sampleOf(const MepState& m, std::int64_t time_us) {
  CfmSample s;
  s.mep = m.key;
  s.circuit = m.circuit;
  s.time = timeFromMicros(time_us);
  s.loss_of_continuity = m.loc;
  s.rdi = m.rdi;
  return s;
}

}  // namespace

std::string mepKey(std::uint8_t md_level, std::uint16_t vlan, std::uint16_t mep_id) {
  return fmt::format("{}/{}/{}", md_level, vlan, mep_id);
}

TimePoint timeFromMicros(std::int64_t us) {
  return TimePoint{Duration{us >= 0 ? us / 1000 : -((-us + 999) / 1000)}};
}

std::vector<CfmSample> CcmTracker::advance(std::int64_t now_us) {
  std::vector<CfmSample> out;
  for (auto& [key, m] : meps_) {
    if (m.loc || m.interval_ms <= 0) continue;
    const auto deadline =
        m.last_us + static_cast<std::int64_t>(kLocIntervals * m.interval_ms * 1000);
    if (now_us >= deadline) {
      m.loc = true;
      ++m.loc_events;
      out.push_back(sampleOf(m, deadline));
    }
  }
  return out;
}

std::vector<CfmSample> CcmTracker::onCcm(const CcmInfo& ccm, std::uint16_t vlan,
                                         const std::string& circuit, std::int64_t time_us) {
  std::vector<CfmSample> out = advance(time_us);
  const std::string key = mepKey(ccm.md_level, vlan, ccm.mep_id);
  auto [it, fresh] = meps_.try_emplace(key);
  MepState& m = it->second;
  bool changed = fresh;
  if (fresh) {
    m.key = key;
    m.md_level = ccm.md_level;
    m.vlan = vlan;
    m.mep_id = ccm.mep_id;
    m.first_us = time_us;
  } else if (ccm.sequence != m.last_sequence + 1 && !(ccm.sequence == 0 && m.last_sequence == 0)) {
    // A sender may leave the sequence at 0 (802.1ag 20.10.1 allows it); anything else that
    // does not follow by one means CCMs were lost or reordered.
    ++m.sequence_errors;
  }
  m.circuit = circuit;
  m.ma_name = ccm.ma_name;
  m.interval_ms = ccmIntervalMs(ccm.interval_code);
  m.last_us = time_us;
  m.last_sequence = ccm.sequence;
  ++m.ccms;
  if (ccm.rdi) ++m.rdi_ccms;
  if (m.loc) {
    m.loc = false;
    changed = true;
  }
  if (m.rdi != ccm.rdi) {
    m.rdi = ccm.rdi;
    changed = true;
  }
  if (changed) out.push_back(sampleOf(m, time_us));
  return out;
}

}  // namespace circuitd::capture
