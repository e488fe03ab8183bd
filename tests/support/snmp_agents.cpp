#include "tests/support/snmp_agents.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>

#include "daemon/runtime/system_clock.hpp"
#include "tests/support/programs.hpp"

namespace fs = std::filesystem;

namespace circuitd::testing {

std::uint16_t freeUdpPort() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool requireTool(const std::string& path) {
  if (access(path.c_str(), X_OK) != 0) {
    ADD_FAILURE() << path << " is missing: install the Debian package (tools/setup-deps.sh)";
    return false;
  }
  return true;
}

std::vector<std::string> toolEnv(const std::string& dir) {
  return {"MIBS=", "MIBDIRS=/nonexistent", "SNMP_PERSISTENT_DIR=" + dir, "SNMPCONFPATH=" + dir};
}

std::unique_ptr<Process> startSnmpProgram(const std::vector<std::string>& argv,
                                          const std::string& dir, const fs::path& log) {
  // A group of its own: the destructor stops whatever helpers it started with it.
  SpawnOptions opts;
  opts.env = toolEnv(dir);
  opts.log = log;
  opts.own_group = true;
  return std::make_unique<Process>(argv, opts);
}

namespace {

bool waitForAgent(std::uint16_t port, const std::string& community, const std::string& dir,
                  std::chrono::seconds limit, Process& proc, std::string* error) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  RunOptions opts;
  opts.env = toolEnv(dir);
  opts.merge_stderr = true;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto st = proc.tryWait()) {
      if (error) *error = "agent exited with status " + std::to_string(*st);
      return false;
    }
    const auto r = run({"/usr/bin/snmpget", "-v2c", "-c", community, "-t", "0.3", "-r", "0",
                        "127.0.0.1:" + std::to_string(port), "1.3.6.1.2.1.1.3.0"},
                       opts);
    if (r.exit_code == 0) return true;
  }
  if (error) *error = "agent did not answer within " + std::to_string(limit.count()) + " s";
  return false;
}

}  // namespace

SnmpdAgent::SnmpdAgent() : dir_("circuitd-snmp-") {}
SnmpdAgent::~SnmpdAgent() = default;

bool SnmpdAgent::start(std::string* error) {
  if (!requireTool("/usr/sbin/snmpd") || !requireTool("/usr/bin/snmpget")) {
    if (error) *error = "snmpd or snmpget missing";
    return false;
  }
  port_ = freeUdpPort();
  const std::string dir = dir_.path().string();
  const std::string conf = dir + "/snmpd.conf";
  std::ofstream(conf) << "rocommunity public 127.0.0.1\n"
                         "createUser shauser SHA \"authpass123\" AES \"privpass123\"\n"
                         "createUser sha256user SHA-256 \"authpass256\" AES \"privpass256\"\n"
                         "rouser shauser priv\n"
                         "rouser sha256user priv\n";
  proc_ = startSnmpProgram({"/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", conf, "-M", "/dev/null",
                            "udp:127.0.0.1:" + std::to_string(port_)},
                           dir, dir + "/snmpd.log");
  return waitForAgent(port_, "public", dir, std::chrono::seconds(15), *proc_, error);
}

SnmpsimAgent::SnmpsimAgent() : dir_("circuitd-snmp-") {}
SnmpsimAgent::~SnmpsimAgent() = default;

bool SnmpsimAgent::start(const std::string& probe, std::string* error) {
  if (!requireTool("/usr/bin/snmpsimd") || !requireTool("/usr/bin/snmpget")) {
    if (error) *error = "snmpsimd or snmpget missing";
    return false;
  }
  const std::string dir = dir_.path().string();
  // snmpsim drops privileges to nobody: the tree must be traversable.
  chmod(dir.c_str(), 0755);
  const std::string data = dir + "/data", cache = dir + "/cache";
  fs::create_directories(data);
  fs::create_directories(cache);
  for (const auto& e : fs::directory_iterator(testDataPath("snmp/")))
    if (e.path().extension() == ".snmprec")
      fs::copy_file(e.path(), data + "/" + e.path().filename().string());
  chmod(data.c_str(), 0755);
  for (const auto& e : fs::directory_iterator(data)) chmod(e.path().c_str(), 0644);
  // snmpsimd refuses to run as root and switches to nobody, which must own its cache.
  const passwd* pw = getpwnam("nobody");
  const group* gr = getgrnam("nogroup");
  if (pw && gr && chown(cache.c_str(), pw->pw_uid, gr->gr_gid) != 0) {
    if (error) *error = "cannot chown the snmpsim cache directory";
    return false;
  }
  port_ = freeUdpPort();
  SpawnOptions opts;
  opts.log = dir + "/snmpsim.log";
  opts.own_group = true;
  proc_ = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/snmpsimd", "--data-dir=" + data, "--cache-dir=" + cache,
                               "--agent-udpv4-endpoint=127.0.0.1:" + std::to_string(port_),
                               "--process-user=nobody", "--process-group=nogroup",
                               "--logging-method=stderr"},
      opts);
  return waitForAgent(port_, probe, dir, std::chrono::seconds(30), *proc_, error);
}

std::string snmpSet(std::uint16_t port, const std::string& community,
                    const std::vector<SetValue>& values) {
  netsnmp_session s;
  snmp_sess_init(&s);
  const std::string peer = "udp:127.0.0.1:" + std::to_string(port);
  s.peername = const_cast<char*>(peer.c_str());
  s.version = SNMP_VERSION_2c;
  s.community = reinterpret_cast<u_char*>(const_cast<char*>(community.c_str()));
  s.community_len = community.size();
  s.timeout = 3'000'000;
  s.retries = 1;
  void* sp = snmp_sess_open(&s);
  if (!sp) return "cannot open session";
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_SET);
  for (const auto& v : values) {
    oid name[MAX_OID_LEN];
    size_t len = MAX_OID_LEN;
    if (!read_objid(v.oid.c_str(), name, &len)) {
      snmp_free_pdu(pdu);
      snmp_sess_close(sp);
      return "bad OID " + v.oid;
    }
    if (v.type == 'C') {
      const unsigned long long x = std::stoull(v.value);
      counter64 c;
      c.high = static_cast<u_long>(x >> 32);
      c.low = static_cast<u_long>(x & 0xffffffffULL);
      snmp_pdu_add_variable(pdu, name, len, ASN_COUNTER64, &c, sizeof c);
    } else if (v.type == 't' || v.type == 'c') {
      const u_long x = std::stoul(v.value);
      snmp_pdu_add_variable(pdu, name, len, v.type == 't' ? ASN_TIMETICKS : ASN_COUNTER, &x,
                            sizeof x);
    } else if (v.type == 'i') {
      const long x = std::stol(v.value);
      snmp_pdu_add_variable(pdu, name, len, ASN_INTEGER, &x, sizeof x);
    } else {
      snmp_pdu_add_variable(pdu, name, len, ASN_OCTET_STR, v.value.data(), v.value.size());
    }
  }
  netsnmp_pdu* resp = nullptr;
  const int st = snmp_sess_synch_response(sp, pdu, &resp);
  std::string err;
  if (st != STAT_SUCCESS)
    err = "SET failed (status " + std::to_string(st) + ")";
  else if (resp->errstat != SNMP_ERR_NOERROR)
    err = std::string("SET error: ") + snmp_errstring(resp->errstat);
  if (resp) snmp_free_pdu(resp);
  snmp_sess_close(sp);
  return err;
}

struct PollHarness::Impl {
  boost::asio::io_context io;
  SystemClock clock;
  std::vector<Observation> got;
  snmp::SnmpPoller poller;
  explicit Impl(snmp::PollerLimits l)
      : poller(
            io, clock, [this](Observation o) { got.push_back(std::move(o)); }, l) {}
};

PollHarness::PollHarness(snmp::PollerLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
PollHarness::~PollHarness() = default;

std::string PollHarness::add(snmp::PollTarget t) {
  auto r = impl_->poller.addDevice(std::move(t));
  return r ? std::string() : r.error().str();
}

std::map<std::string, RoundResult> PollHarness::roundAll(const std::vector<std::string>& devices) {
  impl_->got.clear();
  std::size_t pending = devices.size();
  for (const auto& d : devices)
    impl_->poller.pollNow(d, [&pending](const DevicePoll&) { --pending; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pending > 0 && std::chrono::steady_clock::now() < deadline) {
    impl_->io.restart();
    impl_->io.run_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(pending, 0u) << "poll rounds did not complete";
  std::map<std::string, RoundResult> out;
  for (auto& o : impl_->got) {
    if (auto* dp = std::get_if<DevicePoll>(&o))
      out[dp->device].device = *dp;
    else if (auto* s = std::get_if<InterfaceSample>(&o))
      out[s->device].samples.push_back(*s);
  }
  return out;
}

RoundResult PollHarness::round(const std::string& device) { return roundAll({device})[device]; }

void PollHarness::idle(std::chrono::milliseconds d) {
  boost::asio::steady_timer t(impl_->io, d);
  bool fired = false;
  t.async_wait([&fired](const boost::system::error_code&) { fired = true; });
  impl_->io.restart();
  while (!fired) impl_->io.run_one();
}

snmp::SnmpPoller& PollHarness::poller() { return impl_->poller; }

}  // namespace circuitd::testing
