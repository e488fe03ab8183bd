#include "probes/throughput/test_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "probes/throughput/twamp_codec.hpp"

namespace circuitd::throughput {

Result<void> checkPlan(const TestPlan& plan, const TestLimits& limits) {
  if (plan.host.empty()) return fail("reflector", "no reflector address");
  if (plan.port == 0) return fail("reflector", "port 0 is not a reflector port");
  if (!(plan.rate_bps > 0)) return fail("rate", "rate must be positive");
  if (!(plan.seconds > 0)) return fail("seconds", "duration must be positive");
  if (plan.packet_size < kReflectorHeaderSize || plan.packet_size > 65507)
    return fail("size", fmt::format("packet size {} outside {}..65507 (the reflector answers "
                                    "with at least {} octets, so smaller requests are asymmetric)",
                                    plan.packet_size, kReflectorHeaderSize, kReflectorHeaderSize));
  if (plan.train_length < 1 || plan.train_length > 1000)
    return fail("train", "train length must be 1..1000 packets");
  if (limits.contracted_bps && plan.rate_bps > *limits.contracted_bps * (1 + 1e-9))
    return fail("rate", fmt::format("refusing {}: above the contracted rate {} of the circuit",
                                    formatRate(plan.rate_bps), formatRate(*limits.contracted_bps)));
  if (plan.rate_bps > limits.max_rate_bps)
    return fail("rate", fmt::format("refusing {}: above the configured maximum {}",
                                    formatRate(plan.rate_bps), formatRate(limits.max_rate_bps)));
  if (plan.seconds > limits.max_seconds)
    return fail("seconds", fmt::format("refusing {:g} s: above the configured maximum of {:g} s",
                                       plan.seconds, limits.max_seconds));
  return {};
}

Result<TestPlan> planForCircuit(const Circuit& c, double seconds) {
  const std::string where = "circuit " + c.key;
  if (!c.bandwidth_mbps || !(*c.bandwidth_mbps > 0))
    return fail(where, "no contracted bandwidth_mbps: the test rate would be unbounded");
  if (c.reflector.empty()) return fail(where, "no `reflector` key (\"addr:port\")");
  auto hp = parseHostPort(c.reflector, kDefaultReflectorPort);
  if (!hp) return fail(where + " reflector", hp.error().what);
  TestPlan p;
  p.host = hp->host;
  p.port = hp->port;
  p.rate_bps = *c.bandwidth_mbps * 1e6;
  p.seconds = seconds;
  p.circuit = c.key;
  return p;
}

Result<double> parseRate(const std::string& text) {
  if (text.empty()) return fail("rate", "empty rate");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v) || v <= 0)
    return fail("rate", "not a positive number: \"" + text + "\"");
  std::string suffix(end);
  double mult = 1;
  std::string s = suffix;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const char* unit : {"bit/s", "bps", "bit", "b"})
    if (s.ends_with(unit)) {
      s.resize(s.size() - std::char_traits<char>::length(unit));
      break;
    }
  if (s.empty())
    mult = 1;
  else if (s == "k")
    mult = 1e3;
  else if (s == "m")
    mult = 1e6;
  else if (s == "g")
    mult = 1e9;
  else
    return fail("rate", "unknown unit \"" + suffix + "\" (use k, M or G)");
  return v * mult;
}

Result<HostPort> parseHostPort(const std::string& text, std::uint16_t default_port) {
  HostPort hp;
  std::string port_text;
  if (text.empty()) return fail("address", "empty address");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return fail("address", "missing ']' in \"" + text + "\"");
    hp.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return fail("address", "junk after ']' in \"" + text + "\"");
      port_text = text.substr(close + 2);
    }
  } else {
    const auto first = text.find(':');
    if (first != std::string::npos && text.find(':', first + 1) == std::string::npos) {
      hp.host = text.substr(0, first);
      port_text = text.substr(first + 1);
    } else {
      hp.host = text;  // bare IPv6 literal or no port
    }
  }
  if (hp.host.empty()) return fail("address", "empty host in \"" + text + "\"");
  hp.port = default_port;
  if (!port_text.empty()) {
    char* end = nullptr;
    const long p = std::strtol(port_text.c_str(), &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535)
      return fail("address", "bad port \"" + port_text + "\" in \"" + text + "\"");
    hp.port = static_cast<std::uint16_t>(p);
  }
  return hp;
}

namespace {

// Packet-train dispersion (Dovrolis et al., "Packet dispersion techniques", 2001): a train
// sent back to back leaves the bottleneck spaced by its service time, so (L-1) packets over
// the receive spread T2(last) - T2(first) give the bottleneck rate. Only trains that arrived
// whole and in order count. The stated error is the larger half of the interquartile range
// plus the reflector's timestamp error over the median dispersion; a token-bucket shaper
// lets its bucket through at line rate and biases the estimate upward by about
// bucket / train size.
void estimateCapacity(TestReport& r, std::size_t len, double bits,
                      const std::vector<PacketRecord>& records) {
  std::vector<double> caps;
  std::vector<double> spans;
  for (std::size_t first = 0; first + len <= records.size(); first += len) {
    bool whole = true;
    for (std::size_t i = first; i < first + len && whole; ++i) {
      const auto& rec = records[i];
      whole = rec.sent && rec.replied &&
              (i == first || rec.reflector_seq == records[i - 1].reflector_seq + 1);
    }
    if (!whole) continue;
    const std::int64_t span = records[first + len - 1].t2_ns - records[first].t2_ns;
    if (span <= 0) continue;
    caps.push_back(static_cast<double>(len - 1) * bits / (static_cast<double>(span) / 1e9));
    spans.push_back(static_cast<double>(span) / 1e9);
  }
  r.trains_used = caps.size();
  if (caps.empty()) return;
  auto quantile = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
  };
  const double med = quantile(caps, 0.5);
  const double spread = std::max(med - quantile(caps, 0.25), quantile(caps, 0.75) - med);
  const double ts_err = 2 * (r.timestamp_error_ms / 1e3) / quantile(spans, 0.5) * med;
  r.capacity_bps = med;
  r.capacity_error_bps = spread + ts_err;
}

}  // namespace

TestReport computeReport(const TestPlan& plan, std::size_t wire_size,
                         const std::vector<PacketRecord>& records) {
  TestReport r;
  r.circuit = plan.circuit;
  r.target = plan.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", plan.host, plan.port)
                                                      : fmt::format("{}:{}", plan.host, plan.port);
  r.packet_size = plan.packet_size;
  r.wire_size = wire_size;
  r.offered_bps = plan.rate_bps;
  r.seconds = plan.seconds;
  const double bits = static_cast<double>(wire_size) * 8;

  std::int64_t t1_first = 0, t1_last = 0;
  bool any_sent = false;
  // Replies ordered by the reflector's counter give the reflector-side receive rate even when
  // some replies are lost on the way back.
  const PacketRecord* first_refl = nullptr;
  const PacketRecord* last_refl = nullptr;
  std::int64_t t4_first = 0, t4_last = 0;
  std::uint32_t max_refl_seq = 0;
  double rtt_sum = 0;
  double jitter_sum = 0;
  std::uint64_t jitter_n = 0;
  std::optional<double> prev_rtt;
  double refl_err = 0;
  for (const auto& rec : records) {
    if (!rec.sent) continue;
    ++r.sent;
    if (!any_sent) t1_first = rec.t1_ns;
    t1_last = rec.t1_ns;
    any_sent = true;
    if (!rec.replied) continue;
    t4_first = r.returned == 0 ? rec.t4_ns : std::min(t4_first, rec.t4_ns);
    t4_last = r.returned == 0 ? rec.t4_ns : std::max(t4_last, rec.t4_ns);
    ++r.returned;
    if (!first_refl || rec.reflector_seq < first_refl->reflector_seq) first_refl = &rec;
    if (!last_refl || rec.reflector_seq > last_refl->reflector_seq) last_refl = &rec;
    max_refl_seq = std::max(max_refl_seq, rec.reflector_seq);
    const double rtt_ms =
        static_cast<double>((rec.t4_ns - rec.t1_ns) - (rec.t3_ns - rec.t2_ns)) / 1e6;
    rtt_sum += rtt_ms;
    r.rtt_min_ms = r.rtt_min_ms ? std::min(*r.rtt_min_ms, rtt_ms) : rtt_ms;
    r.rtt_max_ms = r.rtt_max_ms ? std::max(*r.rtt_max_ms, rtt_ms) : rtt_ms;
    if (prev_rtt) {
      jitter_sum += std::abs(rtt_ms - *prev_rtt);
      ++jitter_n;
    }
    prev_rtt = rtt_ms;
    r.hops = 255 - rec.ttl;
    refl_err = std::max(refl_err, rec.reflector_error_s);
  }
  if (r.sent > 1 && t1_last > t1_first)
    r.sent_bps =
        static_cast<double>(r.sent - 1) * bits / (static_cast<double>(t1_last - t1_first) / 1e9);
  if (r.returned > 0) {
    r.reflected = std::uint64_t{max_refl_seq} + 1;
    r.rtt_avg_ms = rtt_sum / static_cast<double>(r.returned);
    if (jitter_n > 0) r.jitter_ms = jitter_sum / static_cast<double>(jitter_n);
    if (last_refl->t2_ns > first_refl->t2_ns)
      r.reflector_rx_bps =
          static_cast<double>(last_refl->reflector_seq - first_refl->reflector_seq) * bits /
          (static_cast<double>(last_refl->t2_ns - first_refl->t2_ns) / 1e9);
    if (r.returned > 1 && t4_last > t4_first)
      r.returned_bps = static_cast<double>(r.returned - 1) * bits /
                       (static_cast<double>(t4_last - t4_first) / 1e9);
  }
  if (r.sent > 0) {
    const auto reflected = std::min(r.reflected, r.sent);
    r.forward_loss = static_cast<double>(r.sent - reflected) / static_cast<double>(r.sent);
    if (reflected > 0)
      r.reverse_loss = static_cast<double>(reflected - std::min(r.returned, reflected)) /
                       static_cast<double>(reflected);
  }
  // Sender timestamps come from the kernel (SO_TIMESTAMPNS) or the system clock, ~1 us.
  r.timestamp_error_ms = (refl_err + 1e-6) * 1e3;
  r.train_length = plan.train_length;
  if (plan.train_length > 1) estimateCapacity(r, plan.train_length, bits, records);
  return r;
}

ThroughputSample toSample(const TestReport& r, TimePoint time) {
  ThroughputSample s;
  s.circuit = r.circuit;
  s.time = time;
  s.source = ThroughputSample::Source::ActiveTest;
  s.in_bps = r.reflector_rx_bps;
  s.out_bps = r.returned_bps;
  if (r.sent > 0)
    s.loss_ratio =
        static_cast<double>(r.sent - std::min(r.returned, r.sent)) / static_cast<double>(r.sent);
  if (r.rtt_avg_ms) s.delay_ms = *r.rtt_avg_ms;
  s.jitter_ms = r.jitter_ms;
  return s;
}

std::string formatRate(double bps) {
  if (bps >= 1e9) return fmt::format("{:.2f} Gbit/s", bps / 1e9);
  if (bps >= 1e6) return fmt::format("{:.2f} Mbit/s", bps / 1e6);
  if (bps >= 1e3) return fmt::format("{:.2f} kbit/s", bps / 1e3);
  return fmt::format("{:.0f} bit/s", bps);
}

std::string formatReport(const TestReport& r) {
  auto ms = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.3f} ms", *v) : std::string("-");
  };
  std::string out;
  out += fmt::format("target            {}{}\n", r.target,
                     r.circuit.empty() ? "" : "  (circuit " + r.circuit + ")");
  out += fmt::format("packets           {} B payload, {} B at the IP layer, {:g} s\n",
                     r.packet_size, r.wire_size, r.seconds);
  out += fmt::format("offered rate      {}\n", formatRate(r.offered_bps));
  out += fmt::format("sent rate         {}  ({} packets)\n", formatRate(r.sent_bps), r.sent);
  out += fmt::format("at reflector      {}  ({} packets)\n", formatRate(r.reflector_rx_bps),
                     r.reflected);
  out +=
      fmt::format("returned rate     {}  ({} packets)\n", formatRate(r.returned_bps), r.returned);
  out += fmt::format("loss forward      {:.3f} %\n", r.forward_loss * 100);
  out += fmt::format("loss reverse      {:.3f} %\n", r.reverse_loss * 100);
  out += fmt::format("rtt min/avg/max   {} / {} / {}\n", ms(r.rtt_min_ms), ms(r.rtt_avg_ms),
                     ms(r.rtt_max_ms));
  out += fmt::format("jitter (ipdv)     {}\n", ms(r.jitter_ms));
  if (r.hops) out += fmt::format("hops              {}\n", *r.hops);
  if (r.train_length > 1) {
    out += fmt::format("trains            {} of {} packets whole at the reflector\n", r.trains_used,
                       r.train_length);
    if (r.capacity_bps)
      out += fmt::format("capacity estimate {} +/- {} (packet-train dispersion)\n",
                         formatRate(*r.capacity_bps), formatRate(*r.capacity_error_bps));
  }
  if (!r.send_error.empty()) out += fmt::format("send error        {}\n", r.send_error);
  if (r.duplicates || r.invalid_replies)
    out += fmt::format("duplicates {}, invalid replies {}\n", r.duplicates, r.invalid_replies);
  return out;
}

}  // namespace circuitd::throughput
