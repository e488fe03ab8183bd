#pragma once
// SNMPv2c GET hot path, pure: the request datagram encoded once per PDU plan (only the
// request-id is patched per send) and a Response reader that walks the BER in place without
// allocating. Never reads past the buffer; anything it does not understand is Malformed.
// v3 and GETBULK walks stay on net-snmp (net_snmp.hpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "probes/snmp/oid.hpp"
#include "probes/snmp/varbind.hpp"

namespace circuitd::snmp {

/// A v2c GetRequest ready to send: patch the request-id with setRequestId before each send.
struct EncodedRequest {
  std::vector<std::uint8_t> bytes;
  std::size_t request_id_offset = 0;  ///< first of the 4 content bytes of the request-id INTEGER
  /// Per varbind: offset and size of the OID's content bytes in `bytes`, so that a reply's
  /// OIDs are checked with memcmp.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> oid_spans;
  /// True when a reply's OID content bytes equal those of varbind i of the request.
  bool sameOid(std::size_t i, const std::uint8_t* content, std::size_t size) const;
};

/// Encodes GetRequest{request-id 0x01000000, oids with NULL values} for `community`. The
/// request-id is always a 4-byte INTEGER so its offset is fixed.
EncodedRequest encodeGetRequest(std::string_view community, const std::vector<Oid>& oids);

/// Request-ids used with the template must lie in [kMinRequestId, kMaxRequestId], so that the
/// 4-byte encoding is also the minimal one.
inline constexpr std::int32_t kMinRequestId = 0x01000000;
inline constexpr std::int32_t kMaxRequestId = 0x7fffffff;
/// Writes `id` (kMinRequestId..kMaxRequestId) into the request.
void setRequestId(EncodedRequest& r, std::int32_t id);

/// A value read in place: text/ObjectId point into the datagram (valid while it is).
struct ValueView {
  VarValue::Type type = VarValue::Type::Null;
  std::int64_t integer = 0;  ///< Integer, Counter32, Gauge32, TimeTicks
  std::uint64_t counter64 = 0;
  const std::uint8_t* data = nullptr;  ///< OctetString, IpAddress, Opaque; ObjectId content
  std::size_t size = 0;
  const VarValue* source = nullptr;  ///< set when the view wraps an already decoded value

  bool isException() const {
    return type == VarValue::Type::Null || type == VarValue::Type::NoSuchObject ||
           type == VarValue::Type::NoSuchInstance || type == VarValue::Type::EndOfMibView;
  }
  std::optional<std::uint32_t> asU32() const {
    if (type == VarValue::Type::Counter32 || type == VarValue::Type::Gauge32 ||
        type == VarValue::Type::TimeTicks ||
        (type == VarValue::Type::Integer && integer >= 0 && integer <= 0xffffffffLL))
      return static_cast<std::uint32_t>(integer);
    return std::nullopt;
  }
  std::optional<std::int64_t> asInt() const {
    if (type == VarValue::Type::Integer) return integer;
    return std::nullopt;
  }
  std::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }
  /// Copies into a VarValue (allocates for text and ObjectId).
  VarValue toVarValue() const;
};

/// Why a datagram is not an acceptable Response.
enum class ResponseCheck : std::uint8_t { Ok, Malformed, WrongVersion, NotResponse };

/// Names a ResponseCheck for counters and messages.
const char* responseCheckName(ResponseCheck c);

/// The header of a v2c Response, fields pointing into the datagram.
struct ResponseView {
  std::string_view community;
  std::int32_t request_id = 0;
  std::int64_t error_status = 0;
  std::int64_t error_index = 0;
  const std::uint8_t* varbinds = nullptr;  ///< content of the VarBindList SEQUENCE
  std::size_t varbinds_size = 0;
  std::size_t varbind_count = 0;  ///< counted and structurally checked by parseResponse
};

/// Parses a v2c message: Ok only for a well-formed Response-PDU whose every varbind is a
/// SEQUENCE {OBJECT IDENTIFIER, value} inside its bounds. Does not allocate.
ResponseCheck parseResponse(const std::uint8_t* data, std::size_t size, ResponseView& out);

/// Iterates the varbinds of a ResponseView that parseResponse accepted.
class VarbindReader {
 public:
  explicit VarbindReader(const ResponseView& r)
      : p_(r.varbinds), end_(r.varbinds + r.varbinds_size) {}
  /// Next varbind: the OID's content bytes and the value. False at the end or on malformed input.
  bool next(const std::uint8_t*& oid, std::size_t& oid_size, ValueView& value);

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

/// True when the BER content bytes of an OBJECT IDENTIFIER denote exactly `oid`.
bool oidEquals(const std::uint8_t* content, std::size_t size, const Oid& oid);
/// Decodes OBJECT IDENTIFIER content bytes (allocates); empty on malformed input.
Oid decodeOid(const std::uint8_t* content, std::size_t size);

}  // namespace circuitd::snmp
