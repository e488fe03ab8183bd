#include "probes/snmp/net_snmp.hpp"

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <sys/ioctl.h>

#include <boost/asio/post.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace circuitd::snmp::detail {

namespace asio = boost::asio;

void ensureNetSnmp() {
  static std::once_flag once;
  std::call_once(once, [] {
    // No MIB files on these machines (numeric OIDs only) and no config or persistent files:
    // circuitd's configuration is its own TOML, and nothing may be written to /var/lib/snmp.
    setenv("MIBS", "", 0);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
    snmp_disable_log();
    init_snmp("circuitd");
    // The engine ID probe is sent as the empty user "" with no engine ID (RFC 3414 4); the
    // reply is only matched when that user exists, as net-snmp's usm_build_probe_pdu ensures.
    if (!usm_get_user(nullptr, 0, const_cast<char*>(""))) {
      struct usmUser* u = usm_create_user();
      if (u) {
        u->name = strdup("");
        u->secName = strdup("");
        usm_add_user(u);
      }
    }
  });
}

std::vector<VarBind> toVarBinds(const snmp_pdu* pdu) {
  std::vector<VarBind> out;
  if (!pdu) return out;
  std::size_t n = 0;
  for (auto* v = pdu->variables; v; v = v->next_variable) ++n;
  out.reserve(n);
  for (auto* v = pdu->variables; v; v = v->next_variable) {
    VarBind& vb = out.emplace_back();
    vb.oid.assign(v->name, v->name + v->name_length);
    auto& val = vb.value;
    using T = VarValue::Type;
    switch (v->type) {
      case ASN_INTEGER:
        val.type = T::Integer;
        val.integer = *v->val.integer;
        break;
      case ASN_COUNTER:
        val.type = T::Counter32;
        val.integer = *v->val.integer & 0xffffffffL;
        break;
      case ASN_GAUGE:
        val.type = T::Gauge32;
        val.integer = *v->val.integer & 0xffffffffL;
        break;
      case ASN_TIMETICKS:
        val.type = T::TimeTicks;
        val.integer = *v->val.integer & 0xffffffffL;
        break;
      case ASN_COUNTER64:
        val.type = T::Counter64;
        val.counter64 = (static_cast<std::uint64_t>(v->val.counter64->high) << 32) |
                        (v->val.counter64->low & 0xffffffffUL);
        break;
      case ASN_OCTET_STR:
        val.type = T::OctetString;
        val.text.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
        break;
      case ASN_IPADDRESS:
        val.type = T::IpAddress;
        val.text.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
        break;
      case ASN_OPAQUE:
        val.type = T::Opaque;
        val.text.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
        break;
      case ASN_OBJECT_ID:
        val.type = T::ObjectId;
        val.oid.assign(v->val.objid, v->val.objid + v->val_len / sizeof(oid));
        break;
      case SNMP_NOSUCHOBJECT:
        val.type = T::NoSuchObject;
        break;
      case SNMP_NOSUCHINSTANCE:
        val.type = T::NoSuchInstance;
        break;
      case SNMP_ENDOFMIBVIEW:
        val.type = T::EndOfMibView;
        break;
      default:
        val.type = T::Null;
        break;
    }
  }
  return out;
}

Result<void> applyCredentials(snmp_session& s, const SnmpCredentials& c) {
  if (c.version == SnmpCredentials::Version::V2c) {
    if (c.community.empty()) return fail("snmp.community", "v2c needs a community");
    s.version = SNMP_VERSION_2c;
    s.community = reinterpret_cast<u_char*>(const_cast<char*>(c.community.c_str()));
    s.community_len = c.community.size();
    return {};
  }
  s.version = SNMP_VERSION_3;
  if (c.user.empty()) return fail("snmp.user", "v3 needs a user");
  s.securityName = const_cast<char*>(c.user.c_str());
  s.securityNameLen = c.user.size();
  s.securityModel = SNMP_SEC_MODEL_USM;
  if (c.auth_proto == SnmpCredentials::AuthProto::None) {
    s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
    return {};
  }
  if (c.auth_proto == SnmpCredentials::AuthProto::Sha) {
    s.securityAuthProto = usmHMACSHA1AuthProtocol;
    s.securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
  } else {
    s.securityAuthProto = usmHMAC192SHA256AuthProtocol;
    s.securityAuthProtoLen = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
  }
  // RFC 3414 A.1: passphrases shorter than 8 characters are not allowed.
  if (c.auth_key.size() < 8) return fail("snmp.auth_key", "must be at least 8 characters");
  s.securityAuthKeyLen = USM_AUTH_KU_LEN;
  if (generate_Ku(s.securityAuthProto, s.securityAuthProtoLen,
                  reinterpret_cast<const u_char*>(c.auth_key.data()), c.auth_key.size(),
                  s.securityAuthKey, &s.securityAuthKeyLen) != SNMPERR_SUCCESS)
    return fail("snmp.auth_key", "cannot derive the authentication key");
  if (c.priv_proto == SnmpCredentials::PrivProto::None) {
    s.securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
    return {};
  }
  if (c.priv_key.size() < 8) return fail("snmp.priv_key", "must be at least 8 characters");
  s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
  s.securityPrivProto = usmAESPrivProtocol;
  s.securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
  s.securityPrivKeyLen = USM_PRIV_KU_LEN;
  // The privacy key is derived with the authentication hash (RFC 3826 section 1.2).
  if (generate_Ku(s.securityAuthProto, s.securityAuthProtoLen,
                  reinterpret_cast<const u_char*>(c.priv_key.data()), c.priv_key.size(),
                  s.securityPrivKey, &s.securityPrivKeyLen) != SNMPERR_SUCCESS)
    return fail("snmp.priv_key", "cannot derive the privacy key");
  return {};
}

AsyncSession::AsyncSession(asio::io_context& io) : io_(io), timer_(io) {}

AsyncSession::~AsyncSession() { close(); }

Result<std::shared_ptr<AsyncSession>> AsyncSession::open(asio::io_context& io,
                                                         const std::string& host,
                                                         std::uint16_t port,
                                                         const SnmpCredentials& creds,
                                                         std::chrono::milliseconds timeout) {
  ensureNetSnmp();
  std::shared_ptr<AsyncSession> self(new AsyncSession(io));
  snmp_session s;
  snmp_sess_init(&s);
  std::string peer = "udp:";
  peer += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (host.find(':') != std::string::npos) peer = "udp6:[" + host + "]";
  peer += ":" + std::to_string(port);
  s.peername = const_cast<char*>(peer.c_str());
  if (auto r = applyCredentials(s, creds); !r) return fail(r.error());
  // Retries are the poller's (with backoff); net-snmp sends each PDU once.
  s.retries = 0;
  // net-snmp mallocs a receive buffer of rcvMsgMaxSize (64 KiB by default) for every datagram;
  // freeing a chunk that large makes glibc consolidate its fastbins each time, which was the
  // largest single cost in the poll benchmark. Replies to our GETs and GETBULKs are far smaller.
  s.rcvMsgMaxSize = 16384;
  s.timeout = static_cast<long>(timeout.count()) * 1000L;
  s.callback = &AsyncSession::callback;
  s.callback_magic = self.get();
  s.flags |= SNMP_FLAGS_DONT_PROBE;
  self->is_v3_ = creds.version == SnmpCredentials::Version::V3;
  self->sp_ = snmp_sess_open(&s);
  if (!self->sp_) {
    int liberr = 0, syserr = 0;
    char* msg = nullptr;
    snmp_error(&s, &liberr, &syserr, &msg);
    std::string what = msg ? msg : "cannot open session";
    free(msg);
    return fail(host + ":" + std::to_string(port), what);
  }
  // net-snmp 5.9 clears DONT_PROBE on its copy of the session and would then run the
  // engine ID probe synchronously inside the first send ("delayed probe"): set it again so the
  // probe is ours and asynchronous.
  snmp_sess_session(self->sp_)->flags |= SNMP_FLAGS_DONT_PROBE;
  auto* t = snmp_sess_transport(self->sp_);
  self->sd_ = std::make_unique<asio::posix::stream_descriptor>(io, t->sock);
  return self;
}

bool AsyncSession::ready() const {
  if (!sp_) return false;
  if (!is_v3_) return true;
  return snmp_sess_session(sp_)->securityEngineIDLen > 0;
}

void AsyncSession::setTimeout(std::chrono::milliseconds t) {
  if (sp_) snmp_sess_session(sp_)->timeout = static_cast<long>(t.count()) * 1000L;
}

void AsyncSession::close() {
  if (closed_) return;
  closed_ = true;
  handlers_.clear();
  timer_.cancel();
  // A handler may close the session from inside snmp_sess_read2 or snmp_sess_timeout; net-snmp
  // still uses the session (and frees the reply) after the callback returns.
  if (in_library_ == 0) closeNow();
}

void AsyncSession::closeNow() {
  if (sd_) {
    sd_->cancel();
    sd_->release();  // net-snmp owns the descriptor and closes it below
    sd_.reset();
  }
  if (sp_) {
    snmp_sess_close(sp_);
    sp_ = nullptr;
  }
}

void AsyncSession::send(snmp_pdu* pdu, Handler h) {
  if (closed_ || !sp_) {
    snmp_free_pdu(pdu);
    Reply r;
    r.error = "session closed";
    asio::post(io_, [h = std::move(h), r = std::move(r)]() mutable { h(std::move(r)); });
    return;
  }
  const int reqid = pdu->reqid;
  // The per-request magic is the request-id: a v3 Report for a PDU the agent could not
  // authenticate carries request-id 0, but net-snmp matched it by msgID and hands back the
  // magic of the request it answers.
  if (snmp_sess_async_send(sp_, pdu, &AsyncSession::callback,
                           reinterpret_cast<void*>(static_cast<std::intptr_t>(reqid))) == 0) {
    Reply r;
    r.error =
        std::string("send failed: ") + snmp_api_errstring(snmp_sess_session(sp_)->s_snmp_errno);
    snmp_free_pdu(pdu);
    asio::post(io_, [h = std::move(h), r = std::move(r)]() mutable { h(std::move(r)); });
    return;
  }
  handlers_.emplace(reqid, std::move(h));
  armRead();
  armTimer();
}

void AsyncSession::discover(Handler h) {
  // The same probe net-snmp sends in usm_discover_engineid: an empty, unauthenticated GET; the
  // agent answers with a usmStatsUnknownEngineIDs Report that carries its engine ID.
  snmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  pdu->version = SNMP_VERSION_3;
  pdu->securityName = strdup("");
  pdu->securityNameLen = 0;
  pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
  pdu->securityModel = SNMP_SEC_MODEL_USM;
  auto self = shared_from_this();
  send(pdu, [self, h = std::move(h)](Reply&& first) mutable {
    // net-snmp records the engine ID from the report only after the callback returns (the
    // report arrives as a SEC_ERROR), so look at the session once the read has finished.
    asio::post(self->io_, [self, h = std::move(h), r = std::move(first)]() mutable {
      if (r.status == Reply::Status::Timeout || self->closed_) return h(std::move(r));
      auto* s = snmp_sess_session(self->sp_);
      if (s->securityEngineIDLen == 0 && !r.engine_id.empty()) {
        // The usmStatsUnknownEngineIDs report carries the agent's engine ID in its header.
        auto* id = static_cast<u_char*>(malloc(r.engine_id.size()));
        std::memcpy(id, r.engine_id.data(), r.engine_id.size());
        s->securityEngineID = id;
        s->securityEngineIDLen = r.engine_id.size();
      }
      if (s->securityEngineIDLen == 0) {
        r.status = Reply::Status::Error;
        r.error = "agent did not reveal its SNMPv3 engine ID (" +
                  (r.error.empty() ? std::string("no report") : r.error) + ")";
        return h(std::move(r));
      }
      // Localise the keys to the discovered engine and register the user (net-snmp does this
      // after its own blocking probe, in usm_create_user_from_session).
      // snmp_sess_open already ran the USM post-probe hook with no engine ID and marked the
      // session SNMP_FLAGS_USER_CREATED; clear it so the user is created for this engine.
      s->flags &= ~SNMP_FLAGS_USER_CREATED;
      // USM users are process-global, keyed by (engine ID, name); an entry left by an earlier
      // session with other keys would be reused silently, so this session's keys replace it.
      if (struct usmUser* old =
              usm_get_user(s->securityEngineID, s->securityEngineIDLen, s->securityName)) {
        usm_remove_user(old);
        usm_free_user(old);
      }
      if (create_user_from_session(s) != SNMPERR_SUCCESS) {
        r.status = Reply::Status::Error;
        r.error = "cannot create the SNMPv3 user for the discovered engine";
        return h(std::move(r));
      }
      r.status = Reply::Status::Ok;
      r.error.clear();
      h(std::move(r));
    });
  });
}

void AsyncSession::get(const std::vector<Oid>& oids, Handler h) {
  snmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  std::vector<oid> buf;
  for (const auto& o : oids) {
    buf.assign(o.begin(), o.end());
    snmp_add_null_var(pdu, buf.data(), buf.size());
  }
  send(pdu, std::move(h));
}

void AsyncSession::getBulk(const Oid& start, int max_repetitions, Handler h) {
  snmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
  pdu->non_repeaters = 0;
  pdu->max_repetitions = max_repetitions;
  std::vector<oid> buf(start.begin(), start.end());
  snmp_add_null_var(pdu, buf.data(), buf.size());
  send(pdu, std::move(h));
}

void AsyncSession::armRead() {
  if (reading_ || closed_ || !sd_) return;
  reading_ = true;
  std::weak_ptr<AsyncSession> weak = weak_from_this();
  sd_->async_wait(asio::posix::stream_descriptor::wait_read,
                  [weak](const boost::system::error_code& ec) {
                    auto self = weak.lock();
                    if (!self) return;
                    self->reading_ = false;
                    if (ec || self->closed_) return;
                    self->onReadable();
                  });
}

void AsyncSession::onReadable() {
  auto keep = shared_from_this();  // a handler may drop the last owner
  const int fd = snmp_sess_transport(sp_)->sock;
  netsnmp_large_fd_set fds;
  netsnmp_large_fd_set_init(&fds, fd + 1);
  NETSNMP_LARGE_FD_SET(fd, &fds);
  // snmp_sess_read2 takes one datagram, and Asio's reactor is edge-triggered: a second reply
  // already queued would raise no new edge and sit there until its request timed out. Drain
  // what is queued (bounded, so one busy agent cannot starve the loop).
  ++in_library_;
  for (int i = 0; i < 64 && !closed_; ++i) {
    snmp_sess_read2(sp_, &fds);
    int queued = 0;
    if (closed_ || ::ioctl(fd, FIONREAD, &queued) != 0 || queued <= 0) break;
  }
  --in_library_;
  netsnmp_large_fd_set_cleanup(&fds);
  if (closed_) return closeNow();
  // Keep reading while anything is outstanding; late datagrams after that are drained when
  // the next request is sent.
  if (!handlers_.empty()) armRead();
  armTimer();
}

void AsyncSession::armTimer() {
  if (closed_ || !sp_) return;
  if (handlers_.empty()) {
    timer_.cancel();
    return;
  }
  int numfds = 0, block = 1;
  struct timeval tv = {0, 0};
  netsnmp_large_fd_set fds;
  netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
  snmp_sess_select_info2_flags(sp_, &numfds, &fds, &tv, &block, NETSNMP_SELECT_NOALARMS);
  netsnmp_large_fd_set_cleanup(&fds);
  if (block) return;
  const auto wait = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  timer_.expires_after(wait);
  std::weak_ptr<AsyncSession> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->closed_) return;
    ++self->in_library_;
    snmp_sess_timeout(self->sp_);
    --self->in_library_;
    if (self->closed_) return self->closeNow();
    self->armTimer();
  });
}

int AsyncSession::callback(int op, snmp_session* session, int, snmp_pdu* pdu, void* magic) {
  auto* self = static_cast<AsyncSession*>(session->callback_magic);
  const int reqid = static_cast<int>(reinterpret_cast<std::intptr_t>(magic));
  if (self->closed_) return 1;
  auto it = self->handlers_.find(reqid);
  if (it == self->handlers_.end()) return 1;
  Handler h = std::move(it->second);
  self->handlers_.erase(it);
  Reply r;
  if (pdu && pdu->securityEngineIDLen > 0)
    r.engine_id.assign(reinterpret_cast<const char*>(pdu->securityEngineID),
                       pdu->securityEngineIDLen);
  switch (op) {
    case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
      if (pdu->command == SNMP_MSG_REPORT) {
        const int type = snmpv3_get_report_type(pdu);
        r.status = Reply::Status::Error;
        if (type == SNMPERR_AUTHENTICATION_FAILURE || type == SNMPERR_UNKNOWN_USER_NAME ||
            type == SNMPERR_DECRYPTION_ERR || type == SNMPERR_UNSUPPORTED_SEC_LEVEL) {
          r.status = Reply::Status::AuthFailure;
          r.error = std::string("authentication failure (") + snmp_api_errstring(type) + ")";
        } else {
          r.error = std::string("agent report: ") + snmp_api_errstring(type);
        }
        break;
      }
      r.status = Reply::Status::Ok;
      r.errstat = pdu->errstat;
      r.errindex = pdu->errindex;
      r.varbinds = toVarBinds(pdu);
      break;
    case NETSNMP_CALLBACK_OP_TIMED_OUT:
      r.status = Reply::Status::Timeout;
      r.error = "timeout";
      break;
    case NETSNMP_CALLBACK_OP_SEC_ERROR:
      r.status = Reply::Status::AuthFailure;
      r.error = "authentication failure (reply failed USM checks)";
      break;
    default:
      r.status = Reply::Status::Error;
      r.error = "send failed";
      break;
  }
  h(std::move(r));
  return 1;
}

}  // namespace circuitd::snmp::detail
