#pragma once
// A decoded SNMP value, independent of net-snmp, so that decoding is unit-tested without
// sockets (like Asio's request_parser, which never sees a socket).
#include <cstdint>
#include <optional>
#include <string>

#include "probes/snmp/oid.hpp"

namespace circuitd::snmp {

/// One varbind value.
struct VarValue {
  /// SMI type of the value, plus the three v2 exceptions.
  enum class Type : std::uint8_t {
    Null,
    Integer,
    Counter32,
    Gauge32,
    TimeTicks,
    Counter64,
    OctetString,
    ObjectId,
    IpAddress,
    Opaque,
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView
  };
  Type type = Type::Null;
  std::int64_t integer = 0;  ///< Integer, Counter32, Gauge32, TimeTicks
  std::uint64_t counter64 = 0;
  std::string text;  ///< OctetString / IpAddress / Opaque bytes
  Oid oid;           ///< ObjectId

  /// True for noSuchObject, noSuchInstance, endOfMibView and Null.
  bool isException() const {
    return type == Type::Null || type == Type::NoSuchObject || type == Type::NoSuchInstance ||
           type == Type::EndOfMibView;
  }
  /// Unsigned 32-bit view of Counter32/Gauge32/TimeTicks/non-negative Integer.
  std::optional<std::uint32_t> asU32() const {
    if (type == Type::Counter32 || type == Type::Gauge32 || type == Type::TimeTicks ||
        (type == Type::Integer && integer >= 0 && integer <= 0xffffffffLL))
      return static_cast<std::uint32_t>(integer);
    return std::nullopt;
  }
  /// Counter64, or any unsigned 32-bit type widened.
  std::optional<std::uint64_t> asU64() const {
    if (type == Type::Counter64) return counter64;
    if (auto v = asU32()) return *v;
    return std::nullopt;
  }
  /// Signed Integer.
  std::optional<std::int64_t> asInt() const {
    if (type == Type::Integer) return integer;
    return std::nullopt;
  }
};

/// An OID with its value.
struct VarBind {
  Oid oid;
  VarValue value;
};

}  // namespace circuitd::snmp
