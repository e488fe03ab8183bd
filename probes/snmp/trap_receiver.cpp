#include "probes/snmp/trap_receiver.hpp"

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstring>

#include "probes/snmp/net_snmp.hpp"
#include "probes/snmp/trap_codec.hpp"

namespace circuitd::snmp {

namespace asio = boost::asio;

struct TrapReceiver::Impl : std::enable_shared_from_this<TrapReceiver::Impl> {
  Impl(asio::io_context& io_, const Clock& clock_, TrapReceiverConfig cfg_, Sink sink_,
       DeviceLookup dl, IfNameLookup il)
      : io(io_),
        clock(clock_),
        cfg(std::move(cfg_)),
        sink(std::move(sink_)),
        devices(std::move(dl)),
        if_names(std::move(il)) {}
  asio::io_context& io;
  const Clock& clock;
  TrapReceiverConfig cfg;
  Sink sink;
  DeviceLookup devices;
  IfNameLookup if_names;
  TrapStats stats;
  std::vector<ProfileTrap> vendor_traps;
  void* sp = nullptr;
  std::unique_ptr<asio::posix::stream_descriptor> sd;
  std::uint16_t bound_port = 0;

  static int callback(int op, snmp_session*, int, snmp_pdu* pdu, void* magic) {
    auto* self = static_cast<Impl*>(magic);
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && self->sp) self->onPdu(pdu);
    return 1;
  }

  std::string sourceOf(snmp_pdu* pdu, std::string& ip) {
    auto* t = snmp_sess_transport(sp);
    std::string s;
    if (t && t->f_fmtaddr) {
      char* txt = t->f_fmtaddr(t, pdu->transport_data, pdu->transport_data_length);
      if (txt) {
        s = txt;
        free(txt);
      }
    }
    // net-snmp formats UDP as "UDP: [127.0.0.1]:40123->[127.0.0.1]:162".
    const auto lb = s.find('['), rb = s.find(']');
    if (lb == std::string::npos || rb == std::string::npos || rb < lb) {
      ip = s;
      return s;
    }
    ip = s.substr(lb + 1, rb - lb - 1);
    std::string port;
    for (std::size_t i = rb + 2; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
         ++i)
      port += s[i];
    return port.empty() ? ip : ip + ":" + port;
  }

  void onPdu(snmp_pdu* pdu) {
    const bool v1 = pdu->command == SNMP_MSG_TRAP;
    const bool inform = pdu->command == SNMP_MSG_INFORM;
    if (!v1 && !inform && pdu->command != SNMP_MSG_TRAP2) return;
    if (pdu->version != SNMP_VERSION_3) {
      // v1/v2c: the community must be one of the configured ones (net-snmp does not check
      // communities on a receiving session; snmptrapd does it in its own handler too).
      const std::string community(reinterpret_cast<const char*>(pdu->community),
                                  pdu->community_len);
      bool ok = false;
      for (const auto& c : cfg.communities) ok |= c == community;
      if (!ok) {
        ++stats.rejected_community;
        return;
      }
    }
    ++stats.received;
    auto vbs = detail::toVarBinds(pdu);
    if (v1) {
      // RFC 3584 3.1: prepend sysUpTime.0 and snmpTrapOID.0 built from the v1 fields.
      std::vector<VarBind> v2;
      VarBind up;
      up.oid = oids::kSysUpTime;
      up.value.type = VarValue::Type::TimeTicks;
      up.value.integer = static_cast<std::int64_t>(pdu->time);
      v2.push_back(up);
      VarBind to;
      to.oid = oids::kSnmpTrapOid;
      to.value.type = VarValue::Type::ObjectId;
      to.value.oid = v1TrapOid(Oid(pdu->enterprise, pdu->enterprise + pdu->enterprise_length),
                               pdu->trap_type, pdu->specific_type);
      v2.push_back(to);
      v2.insert(v2.end(), vbs.begin(), vbs.end());
      vbs = std::move(v2);
    }
    if (inform) {
      // Acknowledge: the same varbinds back in a Response (RFC 3416 4.2.7).
      snmp_pdu* reply = snmp_clone_pdu(pdu);
      if (reply) {
        reply->command = SNMP_MSG_RESPONSE;
        reply->errstat = 0;
        reply->errindex = 0;
        if (snmp_sess_send(sp, reply) == 0)
          snmp_free_pdu(reply);
        else
          ++stats.informs_acked;
      }
    }
    auto dec = decodeNotification(vbs, vendor_traps);
    if (!dec) {
      ++stats.malformed;
      return;
    }
    TrapEvent ev;
    ev.time = clock.now();
    std::string ip;
    ev.source = sourceOf(pdu, ip);
    std::optional<std::string> dev;
    if (devices) dev = devices(ip);
    ev.device = dev ? *dev : ip;
    ev.kind = dec->kind;
    ev.trap_oid = formatOid(dec->trap_oid);
    ev.trap_name = dec->name;
    ev.if_index = dec->if_index;
    ev.inform = inform;
    if (dev && dec->if_index && if_names)
      if (auto n = if_names(*dev, *dec->if_index)) ev.if_name = *n;
    sink(std::move(ev));
  }

  void armRead() {
    if (!sd) return;
    std::weak_ptr<Impl> weak = weak_from_this();
    sd->async_wait(asio::posix::stream_descriptor::wait_read,
                   [weak](const boost::system::error_code& ec) {
                     auto self = weak.lock();
                     if (!self || ec || !self->sp) return;
                     const int fd = snmp_sess_transport(self->sp)->sock;
                     netsnmp_large_fd_set fds;
                     netsnmp_large_fd_set_init(&fds, fd + 1);
                     NETSNMP_LARGE_FD_SET(fd, &fds);
                     // Drain: the reactor is edge-triggered and read2 takes one datagram (see
                     // net_snmp.cpp).
                     for (int i = 0; i < 64 && self->sp; ++i) {
                       snmp_sess_read2(self->sp, &fds);
                       int queued = 0;
                       if (::ioctl(fd, FIONREAD, &queued) != 0 || queued <= 0) break;
                     }
                     netsnmp_large_fd_set_cleanup(&fds);
                     self->armRead();
                   });
  }
};

TrapReceiver::TrapReceiver(asio::io_context& io, const Clock& clock, TrapReceiverConfig cfg,
                           Sink sink, DeviceLookup devices, IfNameLookup if_names)
    : impl_(std::make_shared<Impl>(io, clock, std::move(cfg), std::move(sink), std::move(devices),
                                   std::move(if_names))) {}

TrapReceiver::~TrapReceiver() { stop(); }

namespace {

std::string authName(SnmpCredentials::AuthProto p) {
  return p == SnmpCredentials::AuthProto::Sha256 ? "SHA-256" : "SHA";
}

bool safeToken(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '\\')
      return false;
  return true;
}

}  // namespace

Result<void> TrapReceiver::start() {
  detail::ensureNetSnmp();
  auto& im = *impl_;
  if (im.sp) return fail("trap receiver", "already started");
  im.vendor_traps.clear();
  for (const auto& p : im.cfg.profiles)
    if (p) im.vendor_traps.insert(im.vendor_traps.end(), p->traps.begin(), p->traps.end());

  for (std::size_t i = 0; i < im.cfg.users.size(); ++i) {
    const auto& u = im.cfg.users[i];
    const auto& c = u.credentials;
    const std::string where = "traps.users[" + std::to_string(i) + "]";
    if (!safeToken(c.user)) return fail(where + ".user", "empty or contains spaces or quotes");
    if (c.auth_proto == SnmpCredentials::AuthProto::None)
      return fail(where + ".auth_proto", "v3 notifications need authentication (SHA or SHA-256)");
    if (c.auth_key.size() < 8 || !safeToken(c.auth_key))
      return fail(where + ".auth_key", "needs at least 8 characters without spaces or quotes");
    std::string line;
    if (!u.engine_id.empty()) {
      std::string e = u.engine_id;
      if (e.rfind("0x", 0) != 0) e = "0x" + e;
      if (!safeToken(e)) return fail(where + ".engine_id", "not a hex string");
      line += "-e " + e + " ";
    }
    line += c.user + " " + authName(c.auth_proto) + " " + c.auth_key;
    if (c.priv_proto == SnmpCredentials::PrivProto::Aes128) {
      if (c.priv_key.size() < 8 || !safeToken(c.priv_key))
        return fail(where + ".priv_key", "needs at least 8 characters without spaces or quotes");
      line += " AES " + c.priv_key;
    }
    // The same parser snmptrapd uses for its createUser lines: it localises the keys to the
    // given engine ID (traps) or to our own engine ID (informs) and adds the USM user.
    std::vector<char> buf(line.begin(), line.end());
    buf.push_back('\0');
    usm_parse_create_usmUser("createUser", buf.data());
  }

  const std::string spec = "udp:" + im.cfg.address + ":" + std::to_string(im.cfg.port);
  netsnmp_transport* t = netsnmp_transport_open_server("circuitd", spec.c_str());
  if (!t) return fail(spec, "cannot listen (port in use, or binding below 1024 needs privileges)");
  snmp_session s;
  snmp_sess_init(&s);
  s.peername = SNMP_DEFAULT_PEERNAME;
  s.version = SNMP_DEFAULT_VERSION;
  s.community_len = SNMP_DEFAULT_COMMUNITY_LEN;
  s.retries = SNMP_DEFAULT_RETRIES;
  s.timeout = SNMP_DEFAULT_TIMEOUT;
  s.callback = &Impl::callback;
  s.callback_magic = impl_.get();
  s.authenticator = nullptr;
  s.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
  im.sp = snmp_sess_add(&s, t, nullptr, nullptr);
  if (!im.sp) return fail(spec, "cannot create the receiving session");
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(t->sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET)
      im.bound_port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
      im.bound_port = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  im.sd = std::make_unique<asio::posix::stream_descriptor>(im.io, t->sock);
  im.armRead();
  return {};
}

std::uint16_t TrapReceiver::port() const { return impl_->bound_port; }

void TrapReceiver::stop() {
  auto& im = *impl_;
  if (im.sd) {
    im.sd->cancel();
    im.sd->release();
    im.sd.reset();
  }
  if (im.sp) {
    snmp_sess_close(im.sp);
    im.sp = nullptr;
  }
}

const TrapStats& TrapReceiver::stats() const { return impl_->stats; }

}  // namespace circuitd::snmp
