#include "probes/capture/traffic_counter.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>

namespace circuitd::capture {
namespace {

constexpr std::size_t kMaxProblems = 20;

std::string isoMicros(std::int64_t us) { return formatIso(timeFromMicros(us)); }

}  // namespace

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.v6 != network.v6) return false;
  int bits = length;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (network.bytes[i] & mask)) return false;
  }
  return true;
}

std::string IpPrefix::str() const { return network.str() + "/" + std::to_string(length); }

Result<IpPrefix> parsePrefix(const std::string& text) {
  IpPrefix p;
  const auto slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  p.network.v6 = addr.find(':') != std::string::npos;
  if (::inet_pton(p.network.v6 ? AF_INET6 : AF_INET, addr.c_str(), p.network.bytes.data()) != 1)
    return fail("prefix", "not an IP address: \"" + addr + "\"");
  const int max = p.network.v6 ? 128 : 32;
  p.length = max;
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    char* end = nullptr;
    const long v = std::strtol(len.c_str(), &end, 10);
    if (len.empty() || *end != '\0' || v < 0 || v > max)
      return fail("prefix", "bad prefix length \"" + len + "\" in \"" + text + "\"");
    p.length = static_cast<int>(v);
  }
  // Host bits are cleared so that "10.1.2.3/24" and "10.1.2.0/24" mean the same network.
  for (int bit = p.length; bit < max; ++bit)
    p.network.bytes[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  return p;
}

Result<TrafficCounter> TrafficCounter::create(const Inventory& inventory) {
  TrafficCounter t;
  for (const auto& c : inventory.circuits) {
    if (!c.vlan && c.prefix.empty()) continue;
    Key k{t.traffic_.size(), c.vlan, std::nullopt};
    CircuitTraffic ct;
    ct.circuit = c.key;
    if (c.vlan) {
      if (*c.vlan == 0 || *c.vlan > 4094)
        return fail("circuit " + c.key + " vlan",
                    "VLAN id " + std::to_string(*c.vlan) + " outside 1..4094");
      for (const auto& other : t.keys_)
        if (other.vlan == c.vlan)
          return fail("circuit " + c.key + " vlan", "VLAN " + std::to_string(*c.vlan) +
                                                        " is also circuit " +
                                                        t.traffic_[other.index].circuit);
      ct.keyed_by = "vlan " + std::to_string(*c.vlan);
    }
    if (!c.prefix.empty()) {
      auto p = parsePrefix(c.prefix);
      if (!p) return fail("circuit " + c.key + " prefix", p.error().what);
      k.prefix = *p;
      ct.keyed_by += (ct.keyed_by.empty() ? "" : " ") + p->str();
    }
    t.keys_.push_back(k);
    t.traffic_.push_back(ct);
    t.interval_.push_back(ct);
  }
  return t;
}

Result<void> TrafficCounter::setInventory(const Inventory& inventory) {
  auto next = create(inventory);
  if (!next) return fail(next.error());
  // Circuits the new inventory keeps carry their counts (whole capture and running window).
  auto carry = [](std::vector<CircuitTraffic>& to, const std::vector<CircuitTraffic>& from) {
    for (auto& ct : to) {
      const auto it = std::find_if(from.begin(), from.end(), [&](const CircuitTraffic& o) {
        return o.circuit == ct.circuit;
      });
      if (it == from.end()) continue;
      ct.packets = it->packets;
      ct.bytes = it->bytes;
      ct.in_bytes = it->in_bytes;
      ct.out_bytes = it->out_bytes;
    }
  };
  carry(next->traffic_, traffic_);
  carry(next->interval_, interval_);
  keys_ = std::move(next->keys_);
  traffic_ = std::move(next->traffic_);
  interval_ = std::move(next->interval_);
  return {};
}

void TrafficCounter::note(std::string problem) {
  if (totals_.problems.size() < kMaxProblems) totals_.problems.push_back(std::move(problem));
}

std::vector<CfmSample> TrafficCounter::advance(std::int64_t now_us) { return ccm_.advance(now_us); }

std::vector<CfmSample> TrafficCounter::onFrame(std::int64_t time_us,
                                               std::span<const std::uint8_t> captured,
                                               std::uint32_t wire_length) {
  if (totals_.frames == 0) totals_.first_us = time_us;
  if (interval_start_us_ < 0) interval_start_us_ = time_us;
  totals_.last_us = std::max(totals_.last_us, time_us);
  ++totals_.frames;
  totals_.bytes += wire_length;
  const std::uint64_t frame_no = totals_.frames;
  const DecodeResult d = decodeEthernet(captured);
  if (d.status == DecodeResult::Status::Truncated) {
    ++totals_.truncated;
    note(fmt::format("frame {}: truncated: {}", frame_no, d.reason));
    return advance(time_us);
  }
  if (d.status == DecodeResult::Status::Malformed) {
    ++totals_.malformed;
    note(fmt::format("frame {}: malformed: {}", frame_no, d.reason));
    return advance(time_us);
  }
  const Frame& f = d.frame;

  // VLAN first (a carrier hands each circuit its own tag), then the longest matching prefix.
  const Key* match = nullptr;
  for (std::uint16_t v : f.vlans) {
    for (const auto& k : keys_)
      if (k.vlan && *k.vlan == v) {
        match = &k;
        break;
      }
    if (match) break;
  }
  bool in = false, out = false;
  if (f.dst || f.src) {
    if (match) {
      if (match->prefix) {
        in = f.dst && match->prefix->contains(*f.dst);
        out = !in && f.src && match->prefix->contains(*f.src);
      }
    } else {
      int best = -1;
      for (const auto& k : keys_) {
        if (!k.prefix || k.prefix->length <= best) continue;
        const bool di = f.dst && k.prefix->contains(*f.dst);
        const bool so = f.src && k.prefix->contains(*f.src);
        if (di || so) {
          match = &k;
          best = k.prefix->length;
          in = di;
          out = !di && so;
        }
      }
    }
  }

  std::vector<CfmSample> samples;
  if (f.kind == Frame::Kind::Cfm) {
    ++totals_.cfm;
    if (f.ccm) {
      ++totals_.ccm;
      const std::uint16_t vlan = f.vlans.empty() ? 0 : f.vlans.back();
      samples =
          ccm_.onCcm(*f.ccm, vlan, match ? traffic_[match->index].circuit : std::string{}, time_us);
    }
  } else {
    samples = advance(time_us);
  }

  if (!match) {
    ++totals_.unmatched;
    return samples;
  }
  ++totals_.matched;
  for (CircuitTraffic* ct : {&traffic_[match->index], &interval_[match->index]}) {
    ++ct->packets;
    ct->bytes += wire_length;
    if (in) ct->in_bytes += wire_length;
    if (out) ct->out_bytes += wire_length;
  }
  return samples;
}

double TrafficCounter::spanSeconds() const {
  return static_cast<double>(totals_.last_us - totals_.first_us) / 1e6;
}

std::string TrafficCounter::bpfFilter() const {
  if (keys_.empty()) return {};
  // libpcap's `vlan` keyword moves the offsets of everything after it (a second `vlan N` tests
  // the inner tag), so tagged traffic is taken whole with one trailing `vlan` and the VLAN ids
  // are told apart in user space.
  std::string untagged = fmt::format("ether proto 0x{:04x}", kEthertypeCfm);
  bool any_vlan = false;
  for (const auto& k : keys_) {
    if (k.prefix) untagged += " or net " + k.prefix->str();
    if (k.vlan) any_vlan = true;
  }
  if (any_vlan) return "(" + untagged + ") or vlan";
  return "(" + untagged + ") or (vlan and (" + untagged + "))";
}

std::vector<ThroughputSample> TrafficCounter::throughputSamples() const {
  std::vector<ThroughputSample> out;
  const double span = spanSeconds();
  if (span <= 0) return out;
  for (const auto& ct : traffic_) {
    ThroughputSample s;
    s.circuit = ct.circuit;
    s.time = timeFromMicros(totals_.last_us);
    s.source = ThroughputSample::Source::Capture;
    // Without a prefix the direction of VLAN traffic is unknown: all of it is reported as in.
    const bool directional = ct.in_bytes + ct.out_bytes > 0;
    s.in_bps = static_cast<double>(directional ? ct.in_bytes : ct.bytes) * 8 / span;
    s.out_bps = static_cast<double>(directional ? ct.out_bytes : 0) * 8 / span;
    out.push_back(s);
  }
  return out;
}

std::optional<DropWarnings::Summary> DropWarnings::add(const CaptureWindow& w,
                                                       Clock::time_point now) {
  if (w.dropped + w.interface_dropped) {
    pending_.dropped += w.dropped;
    pending_.interface_dropped += w.interface_dropped;
    ++pending_.windows;
  }
  if (pending_.windows == 0 || (last_ && now - *last_ < every_)) return std::nullopt;
  last_ = now;
  return std::exchange(pending_, Summary{});
}

void TrafficCounter::addDropped(std::uint64_t buffer, std::uint64_t interface) {
  totals_.dropped += buffer;
  totals_.interface_dropped += interface;
}

CaptureWindow TrafficCounter::takeWindow(std::int64_t now_us) {
  CaptureWindow w;
  if (interval_start_us_ < 0) interval_start_us_ = now_us;
  w.start_us = interval_start_us_;
  w.end_us = now_us;
  w.frames = totals_.frames - interval_base_.frames;
  w.bytes = totals_.bytes - interval_base_.bytes;
  w.matched = totals_.matched - interval_base_.matched;
  w.unmatched = totals_.unmatched - interval_base_.unmatched;
  w.dropped = totals_.dropped - interval_base_.dropped;
  w.interface_dropped = totals_.interface_dropped - interval_base_.interface_dropped;
  w.circuits = interval_;
  const double span = static_cast<double>(now_us - interval_start_us_) / 1e6;
  for (auto& ct : interval_) {
    if (span > 0) {
      ThroughputSample s;
      s.circuit = ct.circuit;
      s.time = timeFromMicros(now_us);
      s.source = ThroughputSample::Source::Capture;
      const bool directional = ct.in_bytes + ct.out_bytes > 0;
      s.in_bps = static_cast<double>(directional ? ct.in_bytes : ct.bytes) * 8 / span;
      s.out_bps = static_cast<double>(directional ? ct.out_bytes : 0) * 8 / span;
      w.samples.push_back(s);
    }
    ct.packets = ct.bytes = ct.in_bytes = ct.out_bytes = 0;
  }
  interval_start_us_ = now_us;
  interval_base_ = totals_;
  interval_base_.problems.clear();
  return w;
}

std::string formatTable(const TrafficCounter& c) {
  const auto& t = c.totals();
  const double span = c.spanSeconds();
  auto rate = [span](std::uint64_t bytes) {
    return span > 0 ? fmt::format("{:.1f}", static_cast<double>(bytes) * 8 / span / 1e3)
                    : std::string("-");
  };
  std::string s;
  s += fmt::format("capture: {} frames, {} bytes, {:.3f} s", t.frames, t.bytes, span);
  if (t.frames) s += fmt::format(" ({} .. {})", isoMicros(t.first_us), isoMicros(t.last_us));
  s += "\n\n";
  s += fmt::format("{:<20} {:<28} {:>9} {:>11} {:>11} {:>11} {:>12}\n", "CIRCUIT", "KEYED BY",
                   "PACKETS", "BYTES", "IN BYTES", "OUT BYTES", "KBIT/S");
  for (const auto& ct : c.circuits())
    s += fmt::format("{:<20} {:<28} {:>9} {:>11} {:>11} {:>11} {:>12}\n", ct.circuit, ct.keyed_by,
                     ct.packets, ct.bytes, ct.in_bytes, ct.out_bytes, rate(ct.bytes));
  s += fmt::format("\nmatched {}, unmatched {}, truncated {}, malformed {}, cfm {} (ccm {})\n",
                   t.matched, t.unmatched, t.truncated, t.malformed, t.cfm, t.ccm);
  for (const auto& p : t.problems) s += "  " + p + "\n";
  if (!c.ccm().meps().empty()) {
    s += fmt::format("\n{:<14} {:<20} {:<12} {:>10} {:>6} {:>6} {:>8} {:>4} {:<6} {}\n", "MEP",
                     "CIRCUIT", "MA", "INTERVAL", "CCMS", "RDI", "SEQ-ERR", "LOC", "STATE",
                     "LAST CCM");
    for (const auto& [key, m] : c.ccm().meps()) {
      const std::string state = m.loc ? "LOC" : (m.rdi ? "RDI" : "ok");
      s += fmt::format("{:<14} {:<20} {:<12} {:>8g}ms {:>6} {:>6} {:>8} {:>4} {:<6} {}\n", key,
                       m.circuit.empty() ? "-" : m.circuit, m.ma_name.empty() ? "-" : m.ma_name,
                       m.interval_ms, m.ccms, m.rdi_ccms, m.sequence_errors, m.loc_events, state,
                       isoMicros(m.last_us));
    }
  }
  return s;
}

std::string formatJson(const TrafficCounter& c) {
  const auto& t = c.totals();
  const double span = c.spanSeconds();
  nlohmann::ordered_json j;
  j["frames"] = t.frames;
  j["bytes"] = t.bytes;
  j["seconds"] = span;
  j["first"] = t.frames ? isoMicros(t.first_us) : "";
  j["last"] = t.frames ? isoMicros(t.last_us) : "";
  j["matched"] = t.matched;
  j["unmatched"] = t.unmatched;
  j["truncated"] = t.truncated;
  j["malformed"] = t.malformed;
  j["cfm"] = t.cfm;
  j["ccm"] = t.ccm;
  j["problems"] = t.problems;
  j["circuits"] = nlohmann::ordered_json::array();
  for (const auto& ct : c.circuits()) {
    nlohmann::ordered_json o;
    o["circuit"] = ct.circuit;
    o["keyed_by"] = ct.keyed_by;
    o["packets"] = ct.packets;
    o["bytes"] = ct.bytes;
    o["in_bytes"] = ct.in_bytes;
    o["out_bytes"] = ct.out_bytes;
    o["bps"] = span > 0 ? static_cast<double>(ct.bytes) * 8 / span : 0.0;
    j["circuits"].push_back(o);
  }
  j["meps"] = nlohmann::ordered_json::array();
  for (const auto& [key, m] : c.ccm().meps()) {
    nlohmann::ordered_json o;
    o["mep"] = key;
    o["circuit"] = m.circuit;
    o["md_level"] = m.md_level;
    o["vlan"] = m.vlan;
    o["mep_id"] = m.mep_id;
    o["ma_name"] = m.ma_name;
    o["interval_ms"] = m.interval_ms;
    o["ccms"] = m.ccms;
    o["rdi_ccms"] = m.rdi_ccms;
    o["sequence_errors"] = m.sequence_errors;
    o["loc_events"] = m.loc_events;
    o["loss_of_continuity"] = m.loc;
    o["rdi"] = m.rdi;
    o["last_ccm"] = isoMicros(m.last_us);
    j["meps"].push_back(o);
  }
  return j.dump(2);
}

}  // namespace circuitd::capture
