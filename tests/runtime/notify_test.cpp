// The real circuitd binary with its notification channels. Exec hook: a circuit whose probe
// target falls silent is announced exactly once, across a restart, and a delivery that failed
// before a restart is made by the next run from the outbox in the store. Webhook: a receiver in
// the daemon's namespace gets the fault's event, signed with HMAC-SHA256 (checked here with
// OpenSSL directly). Alertmanager: Debian's prometheus-alertmanager in the namespace lists the
// alert.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/notify_listener.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace circuitd {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::haveTool;
using testing::httpGet;
using testing::Netns;
using testing::NotifyListener;
using testing::Process;
using testing::readFile;
using testing::ScratchDir;
using testing::SpawnOptions;
using testing::writeFile;
using SteadyClock = std::chrono::steady_clock;

const std::string kDaemon = testing::circuitdBinary();

class NotifyChannelTest : public ::testing::Test {
 protected:
  NotifyChannelTest() : dir_("circuitd-notify-"), notify_(dir_.path() / "notify.sock") {}

  // Every test runs the daemon in a namespace of its own whose loopback carries NET-1's and
  // NET-2's probe targets.
  void SetUp() override {
    ASSERT_TRUE(haveTool("ip")) << "iproute2 is required";
    ns_ = std::make_unique<Netns>("cd-nt");
    ASSERT_TRUE(ns_->ok()) << "cannot create a network namespace (root required)";
    ASSERT_TRUE(ns_->addr("add", "10.202.0.1") && ns_->addr("add", "10.202.0.2"));
  }

  std::filesystem::path sent() const { return dir_.path() / "sent.txt"; }
  std::filesystem::path gate() const { return dir_.path() / "gate"; }

  // NET-1 and NET-2 probe addresses the test removes; LOOP-1 stays up so the monitor is not
  // judged blind. `notify` is the [[notify]] part.
  void writeConfig(const std::string& notify) const {
    std::string cfg =
        "[daemon]\nstate_dir = \"state\"\nlog_level = \"debug\"\ntrap_listen = \"\"\n\n"
        "[store]\npath = \"state/circuitd.db\"\n\n" +
        notify;
    for (const auto& [key, target] :
         {std::pair{"NET-1", "10.202.0.1"}, std::pair{"NET-2", "10.202.0.2"},
          std::pair{"LOOP-1", "127.0.0.1"}})
      cfg += std::string("[[circuit]]\nkey = \"") + key + "\"\ncarrier_target = \"" + target +
             "\"\nprobe_interval = \"100ms\"\nlink_id = \"L-" + key + "\"\nsite = \"site-" + key +
             "\"\n\n";
    writeFile(dir_.path() / "circuitd.toml", cfg);
  }
  // The exec hook appends "<idempotency key> <state> <circuit>" per delivery and fails while
  // the gate file is missing.
  void writeConfig() const {
    writeConfig(
        "[[notify]]\nname = \"hook\"\nkind = \"exec\"\ntimeout = \"5s\"\n"
        "command = [\"/bin/sh\", \"-c\", \"[ -e '" +
        gate().string() + "' ] || exit 1; echo \\\"$1 $2 $3\\\" >> '" + sent().string() +
        "'\", \"hook\", \"{key}\", \"{state}\", \"{circuit}\"]\n\n");
  }

  // Runs argv inside the namespace (`ip netns exec` execs it: the pid is the program's own).
  std::unique_ptr<Process> startIn(const Netns& ns, const std::vector<std::string>& argv,
                                   const std::string& log) const {
    SpawnOptions opts;
    opts.env = {notify_.envEntry()};
    opts.log = dir_.path() / log;
    return std::make_unique<Process>(ns.wrap(argv), opts);
  }
  std::unique_ptr<Process> start(const Netns& ns) {
    return startIn(ns, {kDaemon, "--config", (dir_.path() / "circuitd.toml").string()},
                   "circuitd.log");
  }

  // Lines of the hook's file.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(readFile(sent()));
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  std::size_t count(const std::string& needle) const {
    std::size_t n = 0;
    for (const auto& l : lines()) n += l.find(needle) != std::string::npos;
    return n;
  }
  // Polls the hook's file until a line contains needle.
  bool waitForLine(const std::string& needle, std::chrono::milliseconds limit) const {
    const auto end = SteadyClock::now() + limit;
    while (SteadyClock::now() < end) {
      if (count(needle) > 0) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  ScratchDir dir_;
  NotifyListener notify_;
  std::unique_ptr<Netns> ns_;
};

TEST_F(NotifyChannelTest, FaultIsAnnouncedOnceAndNotAgainAfterARestart) {
  const Netns& ns = *ns_;
  writeConfig();
  writeFile(gate(), "");
  auto d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("notifications: 1 channel(s)", 5s)) << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-1: ", 20s)) << d->log();  // first verdict: up

  ASSERT_TRUE(ns.addr("del", "10.202.0.1"));
  ASSERT_TRUE(waitForLine(" open NET-1", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(count(" open NET-1"), 1u) << readFile(sent());

  // The next run announces NET-2's fault; the pass that sends it would also have sent NET-1's
  // row again had it not been marked sent.
  const auto t = SteadyClock::now();
  d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s, t), "") << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-2: ", 20s)) << d->log();
  ASSERT_TRUE(ns.addr("del", "10.202.0.2"));
  ASSERT_TRUE(waitForLine(" open NET-2", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(count(" open NET-1"), 1u) << readFile(sent());
  EXPECT_EQ(count(" open NET-2"), 1u) << readFile(sent());
  EXPECT_EQ(count("LOOP-1"), 0u) << readFile(sent());
}

TEST_F(NotifyChannelTest, DeliveryThatFailedBeforeARestartIsMadeByTheNextRun) {
  const Netns& ns = *ns_;
  writeConfig();  // no gate file yet: every delivery fails
  auto d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-1: ", 20s)) << d->log();
  ASSERT_TRUE(ns.addr("del", "10.202.0.1"));
  ASSERT_TRUE(d->waitForLog("on hook failed (attempt 1)", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(readFile(sent()), "");

  writeFile(gate(), "");
  d = start(ns);
  // The row is due again after its backoff (5 s after the failed attempt).
  ASSERT_TRUE(waitForLine(" open NET-1", 30s)) << d->log();
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  EXPECT_EQ(count(" open NET-1"), 1u) << readFile(sent());
}

// HMAC-SHA256 of body under key as lower-case hex, computed here with OpenSSL rather than with
// the daemon's own code.
std::string hmacHex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    static const char* digits = "0123456789abcdef";
    hex += digits[mac[i] >> 4];
    hex += digits[mac[i] & 15];
  }
  return hex;
}

TEST_F(NotifyChannelTest, WebhookReceivesTheSignedEventOfARealOutage) {
  const Netns& ns = *ns_;
  // The receiver listens on the namespace's 127.0.0.1, where the daemon runs.
  std::unique_ptr<testing::HttpReceiver> rx;
  ASSERT_TRUE(ns.inside([&] { rx = std::make_unique<testing::HttpReceiver>(); }));
  const std::string secret = "webhook-secret-7f3a";
  writeConfig("[[notify]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"" + rx->url() +
              "/circuitd/events\"\nsecret = \"" + secret + "\"\ntimeout = \"5s\"\n\n");
  auto d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-1: ", 20s)) << d->log();  // first verdict: up

  ASSERT_TRUE(ns.addr("del", "10.202.0.1"));
  const auto end = SteadyClock::now() + 30s;
  while (rx->count() == 0 && SteadyClock::now() < end) std::this_thread::sleep_for(50ms);
  ASSERT_GT(rx->count(), 0u) << d->log();
  // Give a duplicate, were there one, the time to arrive.
  std::this_thread::sleep_for(500ms);
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();

  const auto requests = rx->requests();
  ASSERT_EQ(requests.size(), 1u) << "one transition, one delivery";
  const auto& r = requests[0];
  EXPECT_EQ(r.target, "/circuitd/events");
  // The signature covers the body exactly as received.
  ASSERT_TRUE(r.headers.count("x-circuitd-signature"));
  EXPECT_EQ(r.headers.at("x-circuitd-signature"), "sha256=" + hmacHex(secret, r.body));
  EXPECT_NE(r.headers.at("x-circuitd-signature"), "sha256=" + hmacHex(secret + "x", r.body));
  EXPECT_EQ(r.headers.count("x-circuitd-event") ? r.headers.at("x-circuitd-event") : "",
            "fault-transition");
  EXPECT_NE(r.headers.at("content-type").find("application/json"), std::string::npos);

  const json ev = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(ev.is_discarded()) << r.body;
  EXPECT_EQ(ev["key"], "F-000001/1") << r.body;
  EXPECT_EQ(r.headers.count("idempotency-key") ? r.headers.at("idempotency-key") : "",
            ev["key"].get<std::string>());
  EXPECT_EQ(ev["fault"]["id"], "F-000001");
  EXPECT_EQ(ev["fault"]["circuit"], "NET-1");
  EXPECT_EQ(ev["fault"]["state"], "open");
  EXPECT_EQ(ev["fault"]["circuit_state"], "down");
  EXPECT_TRUE(ev["fault"]["down_since"].is_string()) << r.body;
  EXPECT_EQ(ev["transition"]["fault_id"], "F-000001");
  EXPECT_TRUE(ev["transition"]["from"].is_null());
  EXPECT_EQ(ev["transition"]["to"], "open");
  EXPECT_EQ(ev["circuit"]["key"], "NET-1");
  EXPECT_EQ(ev["circuit"]["link_id"], "L-NET-1");
  EXPECT_EQ(ev["circuit"]["site"], "site-NET-1");
  std::printf("webhook event: %s\n", r.body.substr(0, 400).c_str());
}

TEST_F(NotifyChannelTest, AlertmanagerListsTheAlertOfARealOutage) {
  const std::string am = "/usr/bin/prometheus-alertmanager";
  ASSERT_EQ(::access(am.c_str(), X_OK), 0) << am << " missing: run tools/setup-deps.sh";
  const Netns& ns = *ns_;
  // Alertmanager on the namespace's loopback; the port is free there since nothing else runs.
  const int port = 19093;
  writeFile(dir_.path() / "am.yml", "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
  auto alertmanager = startIn(
      ns,
      {am, "--config.file=" + (dir_.path() / "am.yml").string(),
       "--storage.path=" + (dir_.path() / "am-data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--cluster.listen-address="},
      "alertmanager.log");
  struct Stop {
    Process& p;
    ~Stop() {
      if (p.running()) {
        p.signal(SIGTERM);
        p.wait(5s);
      }
    }
  } stop_am{*alertmanager};
  auto get = [&](const std::string& target) {
    std::string out;
    ns.inside([&] { out = httpGet(port, target); });
    return out;
  };
  // Waiting for a process to come up (not a timed assertion).
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = get("/-/ready").rfind("HTTP/1.1 200", 0) == 0;
    if (!ready) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(ready) << alertmanager->log();

  writeConfig("[[notify]]\nname = \"am\"\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:" +
              std::to_string(port) + "\"\ntimeout = \"5s\"\n\n");
  auto d = start(ns);
  ASSERT_NE(notify_.waitFor("READY=1", 10s), "") << d->log();
  ASSERT_TRUE(d->waitForLog("circuit NET-1: ", 20s)) << d->log();
  ASSERT_TRUE(ns.addr("del", "10.202.0.1"));

  json alerts = json::array();
  const auto end = SteadyClock::now() + 30s;
  while (alerts.empty() && SteadyClock::now() < end) {
    const std::string res = get("/api/v2/alerts");
    const auto body = res.find("\r\n\r\n");
    if (body != std::string::npos) {
      json j = json::parse(res.substr(body + 4), nullptr, false);
      if (j.is_array()) alerts = j;
    }
    if (alerts.empty()) std::this_thread::sleep_for(100ms);
  }
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait(5s), 0) << d->log();
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump() << "\n" << d->log();
  const json& a = alerts[0];
  EXPECT_EQ(a["labels"]["alertname"], "CircuitFault");
  EXPECT_EQ(a["labels"]["fault_id"], "F-000001");
  EXPECT_EQ(a["labels"]["circuit"], "NET-1");
  EXPECT_EQ(a["labels"]["link_id"], "L-NET-1");
  EXPECT_EQ(a["labels"]["site"], "site-NET-1");
  EXPECT_EQ(a["annotations"]["state"], "open");
  EXPECT_EQ(a["annotations"]["idempotency_key"], "F-000001/1");
  EXPECT_EQ(a["status"]["state"], "active");
  std::printf("alertmanager alert: %s\n", a.dump().substr(0, 400).c_str());
}

}  // namespace
}  // namespace circuitd
