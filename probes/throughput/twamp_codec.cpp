#include "probes/throughput/twamp_codec.hpp"

#include <cmath>
#include <string>

namespace circuitd::throughput {
namespace {

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
void putTs(std::uint8_t* p, NtpTimestamp t) {
  put32(p, t.seconds);
  put32(p + 4, t.fraction);
}
std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
NtpTimestamp getTs(const std::uint8_t* p) { return {get32(p), get32(p + 4)}; }

constexpr std::int64_t kNanos = 1'000'000'000;
constexpr std::int64_t kEraNanos = (std::int64_t{1} << 32) * kNanos;

}  // namespace

NtpTimestamp ntpFromUnixNanos(std::int64_t unix_ns) {
  // Floor division keeps pre-1970 instants correct; the seconds wrap into the current era.
  std::int64_t secs = unix_ns / kNanos;
  std::int64_t rem = unix_ns % kNanos;
  if (rem < 0) {
    rem += kNanos;
    --secs;
  }
  const auto ntp_secs =
      static_cast<std::uint32_t>(static_cast<std::uint64_t>(secs) + kNtpUnixOffset);
  // rem < 2^30, so rem * 2^32 fits in 64 bits; truncation loses less than 233 ps.
  const std::uint64_t frac =
      (static_cast<std::uint64_t>(rem) << 32) / static_cast<std::uint64_t>(kNanos);
  return {ntp_secs, static_cast<std::uint32_t>(frac)};
}

std::int64_t unixNanosFromNtp(NtpTimestamp t, std::int64_t pivot_ns) {
  const auto frac_ns = static_cast<std::int64_t>((std::uint64_t{t.fraction} * kNanos) >> 32);
  std::int64_t ns =
      (static_cast<std::int64_t>(t.seconds) - static_cast<std::int64_t>(kNtpUnixOffset)) * kNanos +
      frac_ns;
  // Pick the era closest to the pivot (RFC 5905 section 6: eras are 136 years).
  while (ns + kEraNanos / 2 < pivot_ns) ns += kEraNanos;
  while (ns - kEraNanos / 2 > pivot_ns) ns -= kEraNanos;
  return ns;
}

std::int64_t ntpDiffNanos(NtpTimestamp a, NtpTimestamp b) {
  // Two's-complement difference of the 64-bit values is exact modulo one era.
  const auto d = static_cast<std::int64_t>(b.raw() - a.raw());
  const std::int64_t secs = d >> 32;  // arithmetic shift: floor for negative differences
  const auto frac = static_cast<std::uint64_t>(d) & 0xffffffffULL;
  return secs * kNanos + static_cast<std::int64_t>((frac * kNanos) >> 32);
}

std::uint16_t ErrorEstimate::encode() const {
  return static_cast<std::uint16_t>((synchronized ? 0x8000 : 0) | (ptp_format ? 0x4000 : 0) |
                                    ((scale & 0x3f) << 8) | multiplier);
}

ErrorEstimate ErrorEstimate::decode(std::uint16_t v) {
  ErrorEstimate e;
  e.synchronized = (v & 0x8000) != 0;
  e.ptp_format = (v & 0x4000) != 0;
  e.scale = static_cast<std::uint8_t>((v >> 8) & 0x3f);
  e.multiplier = static_cast<std::uint8_t>(v & 0xff);
  return e;
}

double ErrorEstimate::seconds() const { return multiplier * std::ldexp(1.0, scale - 32); }

ErrorEstimate ErrorEstimate::fromSeconds(double error_s, bool sync) {
  ErrorEstimate e;
  e.synchronized = sync;
  for (int s = 0; s < 64; ++s) {
    const double m = std::ceil(error_s / std::ldexp(1.0, s - 32));
    if (m <= 255) {
      e.scale = static_cast<std::uint8_t>(s);
      e.multiplier = static_cast<std::uint8_t>(m < 1 ? 1 : m);
      return e;
    }
  }
  e.scale = 63;
  e.multiplier = 255;
  return e;
}

void encodeSender(const SenderPacket& p, std::size_t total_size, std::vector<std::uint8_t>& out) {
  out.assign(total_size < kSenderHeaderSize ? kSenderHeaderSize : total_size, 0);
  put32(out.data(), p.sequence);
  putTs(out.data() + 4, p.timestamp);
  put16(out.data() + 12, p.error.encode());
}

Result<SenderPacket> decodeSender(std::span<const std::uint8_t> d) {
  if (d.size() < kSenderHeaderSize)
    return fail("sender packet", "truncated: " + std::to_string(d.size()) + " octets, need " +
                                     std::to_string(kSenderHeaderSize));
  SenderPacket p;
  p.sequence = get32(d.data());
  p.timestamp = getTs(d.data() + 4);
  p.error = ErrorEstimate::decode(get16(d.data() + 12));
  if (p.error.multiplier == 0)
    return fail("sender packet offset 13", "error estimate multiplier is 0 (RFC 4656: corrupt)");
  return p;
}

void encodeReflector(const ReflectorPacket& p, std::size_t total_size,
                     std::vector<std::uint8_t>& out) {
  out.assign(total_size < kReflectorHeaderSize ? kReflectorHeaderSize : total_size, 0);
  std::uint8_t* b = out.data();
  put32(b, p.sequence);
  putTs(b + 4, p.timestamp);
  put16(b + 12, p.error.encode());
  putTs(b + 16, p.receive_timestamp);
  put32(b + 24, p.sender_sequence);
  putTs(b + 28, p.sender_timestamp);
  put16(b + 36, p.sender_error.encode());
  b[40] = p.sender_ttl;
}

Result<ReflectorPacket> decodeReflector(std::span<const std::uint8_t> d) {
  if (d.size() < kReflectorHeaderSize)
    return fail("reflector packet", "truncated: " + std::to_string(d.size()) + " octets, need " +
                                        std::to_string(kReflectorHeaderSize));
  const std::uint8_t* b = d.data();
  if (get16(b + 14) != 0) return fail("reflector packet offset 14", "MBZ field is not zero");
  if (get16(b + 38) != 0) return fail("reflector packet offset 38", "MBZ field is not zero");
  ReflectorPacket p;
  p.sequence = get32(b);
  p.timestamp = getTs(b + 4);
  p.error = ErrorEstimate::decode(get16(b + 12));
  p.receive_timestamp = getTs(b + 16);
  p.sender_sequence = get32(b + 24);
  p.sender_timestamp = getTs(b + 28);
  p.sender_error = ErrorEstimate::decode(get16(b + 36));
  p.sender_ttl = b[40];
  if (p.error.multiplier == 0)
    return fail("reflector packet offset 13", "error estimate multiplier is 0 (RFC 4656: corrupt)");
  return p;
}

}  // namespace circuitd::throughput
