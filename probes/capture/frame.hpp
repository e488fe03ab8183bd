#pragma once
// Pure Ethernet frame decoder for passive capture: VLAN tags (802.1Q / 802.1ad), IPv4, IPv6 and
// Ethernet CFM (ethertype 0x8902, IEEE 802.1ag / ITU-T Y.1731) CCM PDUs. Never reads past the
// captured bytes; a frame it cannot read is reported as truncated or malformed, never thrown.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace circuitd::capture {

/// Ethertype of CFM / Y.1731 OAM PDUs.
inline constexpr std::uint16_t kEthertypeCfm = 0x8902;
/// CFM OpCode of a Continuity Check Message.
inline constexpr std::uint8_t kCfmOpcodeCcm = 1;

/// An IPv4 or IPv6 address as 16 octets (IPv4 in the first four).
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  /// Text form ("10.1.2.3", "2001:db8::1").
  std::string str() const;
  bool operator==(const IpAddress&) const = default;
};

/// The fields of a CCM that continuity tracking needs.
struct CcmInfo {
  std::uint8_t md_level = 0;       ///< 0..7
  bool rdi = false;                ///< remote defect indication flag
  std::uint8_t interval_code = 0;  ///< 0 invalid, 1 = 3.33 ms ... 7 = 10 min
  std::uint32_t sequence = 0;
  std::uint16_t mep_id = 0;  ///< 1..8191
  std::string ma_name;       ///< printable short MA name from the MAID, may be empty
};

/// CCM interval in milliseconds for a CCM interval code (0 for the invalid code 0).
double ccmIntervalMs(std::uint8_t code);

/// What one frame is.
struct Frame {
  enum class Kind { Ipv4, Ipv6, Cfm, Other };
  Kind kind = Kind::Other;
  std::vector<std::uint16_t> vlans;   ///< VLAN ids, outermost first
  std::uint16_t ethertype = 0;        ///< after the tags
  std::optional<IpAddress> src, dst;  ///< IP frames
  std::uint8_t cfm_opcode = 0;        ///< CFM frames
  std::optional<CcmInfo> ccm;         ///< CFM CCM frames
};

/// Outcome of decoding: a frame, or why it could not be read.
struct DecodeResult {
  enum class Status { Ok, Truncated, Malformed };
  Status status = Status::Ok;
  Frame frame;
  std::string reason;  ///< for Truncated / Malformed: which header and what is wrong
};

/// Decodes an Ethernet II frame from its captured bytes.
DecodeResult decodeEthernet(std::span<const std::uint8_t> captured);

}  // namespace circuitd::capture
