#include "probes/snmp/ber.hpp"

#include <cstring>

namespace circuitd::snmp {

namespace {

using Bytes = std::vector<std::uint8_t>;

void putLength(Bytes& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n <= 0xffff) {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(0x83);
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  }
}

void putTlv(Bytes& out, std::uint8_t tag, const Bytes& content) {
  out.push_back(tag);
  putLength(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

void putSubId(Bytes& out, std::uint32_t v) {
  std::uint8_t tmp[5];
  int n = 0;
  do {
    tmp[n++] = static_cast<std::uint8_t>(v & 0x7f);
    v >>= 7;
  } while (v);
  while (n > 1) out.push_back(static_cast<std::uint8_t>(tmp[--n] | 0x80));
  out.push_back(tmp[0]);
}

Bytes encodeOidContent(const Oid& oid) {
  Bytes c;
  if (oid.size() < 2) {
    putSubId(c, oid.empty() ? 0 : oid[0] * 40);
    return c;
  }
  putSubId(c, oid[0] * 40 + oid[1]);
  for (std::size_t i = 2; i < oid.size(); ++i) putSubId(c, oid[i]);
  return c;
}

/// Reads one TLV at p (advancing past it). Definite lengths of at most 4 bytes only.
bool readTlv(const std::uint8_t*& p, const std::uint8_t* end, std::uint8_t& tag,
             const std::uint8_t*& content, std::size_t& size) {
  if (end - p < 2) return false;
  tag = *p++;
  if ((tag & 0x1f) == 0x1f) return false;  // high tag numbers do not occur in SNMP
  std::size_t len = *p++;
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 4 || static_cast<std::size_t>(end - p) < n) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | *p++;
  }
  if (len > static_cast<std::size_t>(end - p)) return false;
  content = p;
  size = len;
  p += len;
  return true;
}

bool readSigned(const std::uint8_t* c, std::size_t n, std::int64_t& v) {
  if (n == 0 || n > 8) return false;
  std::uint64_t u = (c[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (std::size_t i = 0; i < n; ++i) u = (u << 8) | c[i];
  v = static_cast<std::int64_t>(u);
  return true;
}

/// Unsigned of at most `bytes` bytes (a leading zero octet allowed on top).
bool readUnsigned(const std::uint8_t* c, std::size_t n, std::size_t bytes, std::uint64_t& v) {
  if (n == 0) return false;
  if (n == bytes + 1) {
    if (c[0] != 0) return false;
    ++c;
    --n;
  }
  if (n > bytes) return false;
  v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | c[i];
  return true;
}

bool readValue(std::uint8_t tag, const std::uint8_t* c, std::size_t n, ValueView& v) {
  using T = VarValue::Type;
  v = ValueView{};
  std::uint64_t u = 0;
  switch (tag) {
    case 0x02:
      v.type = T::Integer;
      return readSigned(c, n, v.integer);
    case 0x41:
    case 0x42:
    case 0x43:
    case 0x47:
      v.type = tag == 0x41 ? T::Counter32 : tag == 0x43 ? T::TimeTicks : T::Gauge32;
      if (!readUnsigned(c, n, 4, u)) return false;
      v.integer = static_cast<std::int64_t>(u);
      return true;
    case 0x46:
      v.type = T::Counter64;
      return readUnsigned(c, n, 8, v.counter64);
    case 0x04:
      v.type = T::OctetString;
      break;
    case 0x40:
      v.type = T::IpAddress;
      break;
    case 0x44:
      v.type = T::Opaque;
      break;
    case 0x06:
      if (n == 0) return false;
      v.type = T::ObjectId;
      break;
    case 0x80:
      v.type = T::NoSuchObject;
      return n == 0;
    case 0x81:
      v.type = T::NoSuchInstance;
      return n == 0;
    case 0x82:
      v.type = T::EndOfMibView;
      return n == 0;
    default:
      v.type = T::Null;
      return true;  // NULL, or a type this poller never asks for
  }
  v.data = c;
  v.size = n;
  return true;
}

/// One varbind SEQUENCE {OID, value}, advancing p.
bool readVarbind(const std::uint8_t*& p, const std::uint8_t* end, const std::uint8_t*& oid,
                 std::size_t& oid_size, ValueView& value) {
  std::uint8_t tag = 0;
  const std::uint8_t* c = nullptr;
  std::size_t n = 0;
  if (!readTlv(p, end, tag, c, n) || tag != 0x30) return false;
  const std::uint8_t* q = c;
  const std::uint8_t* qend = c + n;
  if (!readTlv(q, qend, tag, oid, oid_size) || tag != 0x06 || oid_size == 0) return false;
  const std::uint8_t* vc = nullptr;
  std::size_t vn = 0;
  if (!readTlv(q, qend, tag, vc, vn) || q != qend) return false;
  return readValue(tag, vc, vn, value);
}

/// Next sub-identifier of OID content; false on a truncated or > 32-bit arc.
bool nextSubId(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t& v) {
  std::uint64_t acc = 0;
  for (int i = 0; i < 5; ++i) {
    if (p == end) return false;
    const std::uint8_t b = *p++;
    acc = (acc << 7) | (b & 0x7f);
    if (!(b & 0x80)) {
      if (acc > 0xffffffffULL) return false;
      v = static_cast<std::uint32_t>(acc);
      return true;
    }
  }
  return false;
}

}  // namespace

EncodedRequest encodeGetRequest(std::string_view community, const std::vector<Oid>& oids) {
  Bytes vbl;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;  // OID content within vbl
  for (const auto& o : oids) {
    Bytes vb;
    const auto content = encodeOidContent(o);
    putTlv(vb, 0x06, content);
    vb.push_back(0x05);
    vb.push_back(0x00);
    putTlv(vbl, 0x30, vb);
    spans.emplace_back(static_cast<std::uint32_t>(vbl.size() - 2 - content.size()),
                       static_cast<std::uint32_t>(content.size()));
  }
  Bytes pdu{0x02, 0x04, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00};
  putTlv(pdu, 0x30, vbl);
  Bytes msg{0x02, 0x01, 0x01, 0x04};
  putLength(msg, community.size());
  msg.insert(msg.end(), community.begin(), community.end());
  const std::size_t pdu_start = msg.size();
  putTlv(msg, 0xa0, pdu);  // GetRequest-PDU [0]
  const std::size_t pdu_header = msg.size() - pdu_start - pdu.size();
  EncodedRequest r;
  putTlv(r.bytes, 0x30, msg);
  const std::size_t msg_header = r.bytes.size() - msg.size();
  r.request_id_offset = msg_header + pdu_start + pdu_header + 2;
  // The VarBindList is the last element: its content ends the datagram.
  const std::size_t vbl_start = r.bytes.size() - vbl.size();
  for (auto& [off, len] : spans) off += static_cast<std::uint32_t>(vbl_start);
  r.oid_spans = std::move(spans);
  return r;
}

bool EncodedRequest::sameOid(std::size_t i, const std::uint8_t* content, std::size_t size) const {
  if (i >= oid_spans.size() || oid_spans[i].second != size) return false;
  return std::memcmp(bytes.data() + oid_spans[i].first, content, size) == 0;
}

void setRequestId(EncodedRequest& r, std::int32_t id) {
  auto* p = r.bytes.data() + r.request_id_offset;
  const auto u = static_cast<std::uint32_t>(id);
  p[0] = static_cast<std::uint8_t>(u >> 24);
  p[1] = static_cast<std::uint8_t>(u >> 16);
  p[2] = static_cast<std::uint8_t>(u >> 8);
  p[3] = static_cast<std::uint8_t>(u);
}

VarValue ValueView::toVarValue() const {
  if (source) return *source;
  VarValue v;
  v.type = type;
  v.integer = integer;
  v.counter64 = counter64;
  if (type == VarValue::Type::ObjectId)
    v.oid = decodeOid(data, size);
  else if (data)
    v.text.assign(reinterpret_cast<const char*>(data), size);
  return v;
}

const char* responseCheckName(ResponseCheck c) {
  switch (c) {
    case ResponseCheck::Ok:
      return "ok";
    case ResponseCheck::Malformed:
      return "malformed";
    case ResponseCheck::WrongVersion:
      return "not SNMPv2c";
    case ResponseCheck::NotResponse:
      return "not a Response-PDU";
  }
  return "?";
}

ResponseCheck parseResponse(const std::uint8_t* data, std::size_t size, ResponseView& out) {
  out = ResponseView{};
  const std::uint8_t* p = data;
  const std::uint8_t* end = data + size;
  std::uint8_t tag = 0;
  const std::uint8_t* c = nullptr;
  std::size_t n = 0;
  if (!readTlv(p, end, tag, c, n) || tag != 0x30 || p != end) return ResponseCheck::Malformed;
  p = c;
  end = c + n;
  std::int64_t version = 0;
  if (!readTlv(p, end, tag, c, n) || tag != 0x02 || !readSigned(c, n, version))
    return ResponseCheck::Malformed;
  if (!readTlv(p, end, tag, c, n) || tag != 0x04) return ResponseCheck::Malformed;
  out.community = std::string_view(reinterpret_cast<const char*>(c), n);
  if (!readTlv(p, end, tag, c, n) || p != end) return ResponseCheck::Malformed;
  if (version != 1) return ResponseCheck::WrongVersion;
  if (tag != 0xa2)
    return (tag >= 0xa0 && tag <= 0xa8) ? ResponseCheck::NotResponse : ResponseCheck::Malformed;
  p = c;
  end = c + n;
  std::int64_t reqid = 0;
  if (!readTlv(p, end, tag, c, n) || tag != 0x02 || n > 4 || !readSigned(c, n, reqid))
    return ResponseCheck::Malformed;
  out.request_id = static_cast<std::int32_t>(reqid);
  if (!readTlv(p, end, tag, c, n) || tag != 0x02 || !readSigned(c, n, out.error_status))
    return ResponseCheck::Malformed;
  if (!readTlv(p, end, tag, c, n) || tag != 0x02 || !readSigned(c, n, out.error_index))
    return ResponseCheck::Malformed;
  if (!readTlv(p, end, tag, c, n) || tag != 0x30 || p != end) return ResponseCheck::Malformed;
  out.varbinds = c;
  out.varbinds_size = n;
  // Check every varbind now, so that a consumer never sees half a reply.
  const std::uint8_t* q = c;
  const std::uint8_t* qend = c + n;
  while (q != qend) {
    const std::uint8_t* oid = nullptr;
    std::size_t oid_size = 0;
    ValueView v;
    if (!readVarbind(q, qend, oid, oid_size, v)) return ResponseCheck::Malformed;
    ++out.varbind_count;
  }
  return ResponseCheck::Ok;
}

bool VarbindReader::next(const std::uint8_t*& oid, std::size_t& oid_size, ValueView& value) {
  if (p_ == end_) return false;
  if (!readVarbind(p_, end_, oid, oid_size, value)) {
    p_ = end_;
    return false;
  }
  return true;
}

bool oidEquals(const std::uint8_t* content, std::size_t size, const Oid& oid) {
  if (oid.size() < 2) return false;
  const std::uint8_t* p = content;
  const std::uint8_t* end = content + size;
  std::uint32_t v = 0;
  if (!nextSubId(p, end, v)) return false;
  if (oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40)) return false;
  if (v != oid[0] * 40 + oid[1]) return false;
  for (std::size_t i = 2; i < oid.size(); ++i)
    if (!nextSubId(p, end, v) || v != oid[i]) return false;
  return p == end;
}

Oid decodeOid(const std::uint8_t* content, std::size_t size) {
  Oid out;
  const std::uint8_t* p = content;
  const std::uint8_t* end = content + size;
  std::uint32_t v = 0;
  if (!nextSubId(p, end, v)) return {};
  const std::uint32_t first = v < 40 ? 0 : v < 80 ? 1 : 2;
  out.push_back(first);
  out.push_back(v - first * 40);
  while (p != end) {
    if (!nextSubId(p, end, v)) return {};
    out.push_back(v);
  }
  return out;
}

}  // namespace circuitd::snmp
