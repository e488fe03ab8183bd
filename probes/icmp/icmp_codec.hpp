#pragma once
// Pure ICMPv4/ICMPv6 echo codec (RFC 792, RFC 4443): builds echo requests with a circuitd payload
// (magic, token, monotonic send time) and parses what an ICMP socket returns. No sockets here,
// like Asio's request_parser; the transport is icmp_prober.
#include <cstddef>
#include <cstdint>
#include <span>

#include "domain/core/result.hpp"

namespace circuitd::icmp {

/// Address family of a probe.
enum class Family { V4, V6 };

/// Size of the ICMP echo header (type, code, checksum, identifier, sequence).
inline constexpr std::size_t kEchoHeaderSize = 8;
/// Marks payloads that circuitd wrote ("CIRD"), so that foreign echoes are rejected.
inline constexpr std::uint32_t kPayloadMagic = 0x43495244;
/// Smallest payload: magic (4), token (4), send time in ns (8).
inline constexpr std::size_t kMinPayload = 16;
/// ICMP types used here.
inline constexpr std::uint8_t kV4EchoRequest = 8, kV4EchoReply = 0, kV4DestUnreachable = 3,
                              kV4TimeExceeded = 11;
inline constexpr std::uint8_t kV6EchoRequest = 128, kV6EchoReply = 129, kV6DestUnreachable = 1,
                              kV6TimeExceeded = 3;

/// One echo request to encode.
struct EchoRequest {
  Family family = Family::V4;
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  std::uint32_t token = 0;        ///< the prober's target slot and generation
  std::uint64_t send_ns = 0;      ///< monotonic send time, echoed back by the target
  std::size_t payload_size = 56;  ///< bytes after the header, at least kMinPayload
};

/// What a received ICMP message means for the prober.
enum class MessageKind { EchoReply, DestinationUnreachable, TimeExceeded };

/// A decoded ICMP message that concerns one of our echo requests.
struct IcmpMessage {
  MessageKind kind = MessageKind::EchoReply;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t identifier = 0;  ///< of the echo (for errors: of the quoted request)
  std::uint16_t sequence = 0;
  bool has_payload = false;  ///< token/send_ns valid (always for replies; errors may lack it)
  std::uint32_t token = 0;
  std::uint64_t send_ns = 0;
};

/// RFC 1071 Internet checksum of data (one's complement of the one's complement sum).
std::uint16_t internetChecksum(std::span<const std::uint8_t> data);

/// Writes an echo request into out. ICMPv4 carries its checksum; for ICMPv6 the kernel computes
/// it (it covers a pseudo-header with the source address, RFC 4443 2.3), so the field is 0.
/// Returns the bytes written, or 0 when out is too small or payload_size < kMinPayload.
std::size_t encodeEchoRequest(const EchoRequest& r, std::span<std::uint8_t> out);

/// Parses one datagram from an ICMP socket. with_ip_header: raw IPv4 sockets deliver the IPv4
/// header in front of the ICMP message (raw ICMPv6 and datagram sockets do not). Rejects
/// truncated or malformed packets, echo requests, other ICMP types, a bad ICMPv4 checksum and
/// echo replies without the circuitd payload; never reads outside `packet`.
Result<IcmpMessage> decodeIcmp(Family family, std::span<const std::uint8_t> packet,
                               bool with_ip_header);

/// English text for an ICMP error, e.g. "host unreachable", "time exceeded".
const char* describeError(Family family, std::uint8_t type, std::uint8_t code);

}  // namespace circuitd::icmp
