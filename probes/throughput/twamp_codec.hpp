#pragma once
// TWAMP-Light test packets (RFC 5357 section 4.2.1 and appendix I, unauthenticated mode; field
// layout from RFC 4656 section 4.1.2). Pure encode/decode: no sockets, no clock.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "domain/core/result.hpp"

namespace circuitd::throughput {

/// Seconds between the NTP era-0 epoch (1900-01-01) and the Unix epoch (1970-01-01).
inline constexpr std::uint64_t kNtpUnixOffset = 2208988800ULL;
/// Size of the unauthenticated Session-Sender header (sequence, timestamp, error estimate).
inline constexpr std::size_t kSenderHeaderSize = 14;
/// Size of the unauthenticated Session-Reflector header.
inline constexpr std::size_t kReflectorHeaderSize = 41;
/// Well-known TWAMP / STAMP reflector port (IANA, RFC 8545).
inline constexpr std::uint16_t kDefaultReflectorPort = 862;

/// 64-bit NTP timestamp: 32-bit seconds since 1900 plus a 32-bit binary fraction.
struct NtpTimestamp {
  std::uint32_t seconds = 0;
  std::uint32_t fraction = 0;
  /// The 64-bit wire value (seconds in the high half).
  std::uint64_t raw() const { return (std::uint64_t{seconds} << 32) | fraction; }
  bool operator==(const NtpTimestamp&) const = default;
};

/// NTP timestamp of an instant given as nanoseconds since the Unix epoch.
NtpTimestamp ntpFromUnixNanos(std::int64_t unix_ns);
/// Nanoseconds since the Unix epoch of an NTP timestamp (era 0 or era 1 chosen near `pivot_ns`).
std::int64_t unixNanosFromNtp(NtpTimestamp t, std::int64_t pivot_ns);
/// b - a in nanoseconds, modulo the 2^32 s era so that differences survive the 2036 wrap.
std::int64_t ntpDiffNanos(NtpTimestamp a, NtpTimestamp b);

/// Error Estimate field: |S|Z|Scale(6)|Multiplier(8)| (RFC 4656 section 4.1.2).
struct ErrorEstimate {
  bool synchronized = false;    ///< S: clock synchronised to UTC by an external source
  bool ptp_format = false;      ///< Z: timestamps in truncated PTP format (RFC 8186)
  std::uint8_t scale = 0;       ///< 6 bits
  std::uint8_t multiplier = 1;  ///< must not be 0
  /// Encoded 16-bit value.
  std::uint16_t encode() const;
  /// Decodes a 16-bit value (does not validate the multiplier).
  static ErrorEstimate decode(std::uint16_t v);
  /// Error bound in seconds: multiplier * 2^(scale - 32).
  double seconds() const;
  /// The smallest estimate (scale, multiplier) that covers `error_s` seconds.
  static ErrorEstimate fromSeconds(double error_s, bool synchronized);
  bool operator==(const ErrorEstimate&) const = default;
};

/// Session-Sender test packet, unauthenticated.
struct SenderPacket {
  std::uint32_t sequence = 0;
  NtpTimestamp timestamp;  ///< T1
  ErrorEstimate error;
};

/// Session-Reflector test packet, unauthenticated.
struct ReflectorPacket {
  std::uint32_t sequence = 0;  ///< reflector's own per-session counter
  NtpTimestamp timestamp;      ///< T3, reflector transmit time
  ErrorEstimate error;
  NtpTimestamp receive_timestamp;     ///< T2, reflector receive time
  std::uint32_t sender_sequence = 0;  ///< copied
  NtpTimestamp sender_timestamp;      ///< T1, copied
  ErrorEstimate sender_error;         ///< copied
  std::uint8_t sender_ttl = 255;      ///< TTL / hop limit of the received test packet
};

/// Writes a sender packet of `total_size` octets (>= 14; padding is zero) into `out`.
void encodeSender(const SenderPacket& p, std::size_t total_size, std::vector<std::uint8_t>& out);
/// Parses a sender packet; rejects short packets and a zero error multiplier.
Result<SenderPacket> decodeSender(std::span<const std::uint8_t> data);
/// Writes a reflector packet of `total_size` octets (>= 41; padding is zero) into `out`.
void encodeReflector(const ReflectorPacket& p, std::size_t total_size,
                     std::vector<std::uint8_t>& out);
/// Parses a reflector packet; rejects short packets, non-zero MBZ fields and zero multipliers.
Result<ReflectorPacket> decodeReflector(std::span<const std::uint8_t> data);

}  // namespace circuitd::throughput
