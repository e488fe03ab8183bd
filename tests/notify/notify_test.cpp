#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/notify/exec_hook.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/notify/payload.hpp"
#include "daemon/runtime/system_clock.hpp"
#include "daemon/service/fault_service.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "tests/support/engine_events.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/process.hpp"

using namespace circuitd;
using namespace circuitd::notify;
using namespace circuitd::service;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using circuitd::testing::at;
using circuitd::testing::down;
using circuitd::testing::HttpReceiver;
using circuitd::testing::up;

fs::path tempDir() {
  std::string tmpl = (fs::temp_directory_path() / "circuitd-notify-XXXXXX").string();
  return fs::path(::mkdtemp(tmpl.data()));
}

Inventory inventory() {
  Inventory inv;
  Circuit c;
  c.key = "L1";
  c.link_id = "L1";
  c.contract = "XJWLM2405957CGN00";
  c.site = "site-a";
  c.criticality = Criticality::Critical;
  inv.circuits.push_back(c);
  c.key = c.link_id = "L2";
  inv.circuits.push_back(c);
  return inv;
}

FaultService::StoreOpener opener(const fs::path& db) {
  return [db]() -> Result<std::unique_ptr<store::Store>> {
    auto s = store::SqliteStore::open(db.string());
    if (!s) return fail(s.error());
    return std::unique_ptr<store::Store>(std::move(*s));
  };
}

// Runs io until the outbox has nothing pending (or the deadline passes).
bool drain(boost::asio::io_context& io, OutboxSender& sender, store::Store& st) {
  bool done = false;
  sender.onIdle([&] {
    auto p = st.pendingOutbox();
    if (p && *p == 0) done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done && std::chrono::steady_clock::now() < deadline)
    io.run_for(std::chrono::milliseconds(20));
  sender.onIdle(nullptr);
  return done;
}

std::string httpGet(const std::string& host, unsigned short port, const std::string& target) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address(host), port}, ec);
  if (ec) return "";
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  http::write(s, req, ec);
  boost::beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(s, b, res, ec);
  if (ec || res.result_int() != 200) return "";
  return res.body();
}

int httpPost(const std::string& host, unsigned short port, const std::string& target,
             const std::string& body) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address(host), port}, ec);
  if (ec) return 0;
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(s, req, ec);
  boost::beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(s, b, res, ec);
  return ec ? 0 : static_cast<int>(res.result_int());
}

}  // namespace

TEST(PayloadTest, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(webhookSignature("Jefe", "what do ya want for nothing?").rfind("sha256=", 0), 0u);
}

TEST(PayloadTest, AlertmanagerBodyIsAnArrayOfPostableAlerts) {
  faults::Fault f;
  f.id = "F-000003";
  f.circuit = "L1";
  f.cause = "carrier_line";
  f.first_seen = at("2024-07-01T00:00:00Z");
  f.down_since = f.first_seen;
  f.decision.party = Party::Carrier;
  f.decision.summary = "line side down";
  faults::Transition t{
      "F-000003", 1, f.first_seen, "engine", std::nullopt, faults::FaultState::Open, ""};
  Circuit c = inventory().circuits[0];
  auto body = alertmanagerBody(eventPayload(f, t, &c), at("2024-07-01T00:00:10Z"));
  ASSERT_TRUE(body);
  json j = json::parse(*body);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const json& a = j[0];
  EXPECT_EQ(a["labels"]["alertname"], "CircuitFault");
  EXPECT_EQ(a["labels"]["fault_id"], "F-000003");
  EXPECT_EQ(a["labels"]["contract"], "XJWLM2405957CGN00");
  EXPECT_EQ(a["labels"]["severity"], "critical");
  EXPECT_EQ(a["annotations"]["party"], "carrier");
  EXPECT_EQ(a["annotations"]["idempotency_key"], "F-000003/1");
  EXPECT_EQ(a["startsAt"], "2024-07-01T00:00:00Z");
  EXPECT_EQ(a["endsAt"], "2024-07-01T00:15:10Z");  // firing: now + active_for
  EXPECT_EQ(a["generatorURL"], "http://127.0.0.1:8479/faults/F-000003");

  f.recovered_at = at("2024-07-01T01:00:00Z");
  t.seq = 2;
  t.to = faults::FaultState::Resolved;
  auto resolved = alertmanagerBody(eventPayload(f, t, &c), at("2024-07-01T01:02:00Z"));
  ASSERT_TRUE(resolved);
  EXPECT_EQ(json::parse(*resolved)[0]["endsAt"], "2024-07-01T01:00:00Z");
  EXPECT_FALSE(alertmanagerBody("{\"not\":\"an event\"}", at("2024-07-01T00:00:00Z")));
}

TEST(ExecHookTest, ArgumentsArriveVerbatimWithoutAShell) {
  const fs::path dir = tempDir();
  const fs::path out = dir / "hook.log";
  const fs::path canary = dir / "canary";
  boost::asio::io_context io;
  ExecRequest req;
  req.argv = expandArgv({CIRCUITD_BINARY_DIR "/tests/notify/hook_recorder", out.string(),
                         "a b; touch " + canary.string(), "{fault_id}", "$(id)", "{unknown}"},
                        {{"fault_id", "F-000001"}});
  req.env = {{"CIRCUITD_IDEMPOTENCY_KEY", "F-000001/1"}};
  req.stdin_data = "{\"key\":\"F-000001/1\"}";
  std::optional<ExecResult> res;
  asyncExec(io, req, [&](ExecResult r) { res = r; });
  io.run_for(std::chrono::seconds(10));
  ASSERT_TRUE(res);
  EXPECT_TRUE(res->ok()) << res->error;
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "[a b; touch " + canary.string() +
                      "][F-000001][$(id)][{unknown}] key=F-000001/1 stdin=20");
  EXPECT_FALSE(fs::exists(canary));
  fs::remove_all(dir);
}

TEST(ExecHookTest, HookThatOverrunsItsTimeoutIsKilled) {
  boost::asio::io_context io;
  ExecRequest req;
  req.argv = {"/bin/sleep", "30"};
  req.timeout = std::chrono::milliseconds(200);
  std::optional<ExecResult> res;
  const auto t0 = std::chrono::steady_clock::now();
  asyncExec(io, req, [&](ExecResult r) { res = r; });
  io.run_for(std::chrono::seconds(10));
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->ok());
  EXPECT_EQ(res->error, "timed out");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(ExecHookTest, RelativeProgramPathIsRefused) {
  boost::asio::io_context io;
  std::optional<ExecResult> res;
  asyncExec(io, ExecRequest{{"sh", "-c", "true"}, {}, "", std::chrono::seconds(1)},
            [&](ExecResult r) { res = r; });
  io.run_for(std::chrono::seconds(1));
  ASSERT_TRUE(res);
  EXPECT_NE(res->error.find("absolute"), std::string::npos);
}

TEST(OutboxSenderTest, DeliversSignedWebhookOncePerTransition) {
  const fs::path dir = tempDir();
  HttpReceiver rx;
  FaultServiceSettings fss;
  fss.lifecycle.hold_off = Duration{0};
  fss.channels = {"hook"};
  FaultService svc(fss, opener(dir / "s.db"));
  ASSERT_TRUE(svc.start(inventory(), at("2024-07-01T00:00:00Z")));
  svc.onEvent(down("L1", at("2024-07-01T00:00:00Z")));
  svc.onEvent(up("L1", at("2024-07-01T00:05:00Z")));
  svc.onEvent(down("L2", at("2024-07-01T00:06:00Z")));

  boost::asio::io_context io;
  SystemClock clock;
  ChannelConfig ch{"hook", ChannelKind::Webhook, rx.url() + "/circuitd", "s3cret", {}};
  OutboxSender sender(
      io, [&] { return svc.store(); }, {ch}, clock);
  sender.start();
  ASSERT_TRUE(drain(io, sender, *svc.store()));

  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 3u);
  std::set<std::string> keys;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.target, "/circuitd");
    EXPECT_EQ(r.headers.at("x-circuitd-signature"), "sha256=" + hmacSha256Hex("s3cret", r.body));
    const json body = json::parse(r.body);
    EXPECT_EQ(r.headers.at("idempotency-key"), body["key"]);
    keys.insert(r.headers.at("idempotency-key"));
  }
  EXPECT_EQ(keys, (std::set<std::string>{"F-000001/1", "F-000001/2", "F-000002/1"}));
  EXPECT_EQ(json::parse(reqs[1].body)["transition"]["to"], "resolved");
  auto rows = svc.store()->outbox();
  ASSERT_TRUE(rows);
  for (const auto& row : *rows) EXPECT_TRUE(row.sent_at.has_value());
  fs::remove_all(dir);
}

TEST(FaultServiceTest, TransitionIsOnDiskBeforeAnyoneIsTold) {
  const fs::path dir = tempDir();
  FaultServiceSettings fss;
  fss.channels = {"hook"};
  FaultService svc(fss, opener(dir / "s.db"));
  ASSERT_TRUE(svc.start(inventory(), at("2024-07-01T00:00:00Z")));
  int checked = 0;
  svc.onCommitted([&] {
    // A second connection (another process could be the reader) already sees the transition
    // and its outbox row when the sender is woken.
    auto other = store::SqliteStore::open((dir / "s.db").string());
    ASSERT_TRUE(other);
    EXPECT_EQ((*other)->transitions("")->size(), static_cast<std::size_t>(checked + 1));
    EXPECT_EQ(*(*other)->pendingOutbox(), checked + 1);
    ++checked;
  });
  svc.onEvent(down("L1", at("2024-07-01T00:00:00Z")));
  ASSERT_TRUE(svc.acknowledge("F-000001", "wang", at("2024-07-01T00:01:00Z")));
  EXPECT_EQ(checked, 2);
  EXPECT_FALSE(svc.acknowledge("F-000001", "li", at("2024-07-01T00:02:00Z")));
  EXPECT_EQ(checked, 2);  // a refused action writes and announces nothing
  fs::remove_all(dir);
}

TEST(OutboxSenderTest, WaitsQuietlyWhileNoStoreIsOpen) {
  boost::asio::io_context io;
  SystemClock clock;
  RetryPolicy rp;
  rp.poll = std::chrono::milliseconds(5);
  OutboxSender sender(
      io, [] { return static_cast<store::Store*>(nullptr); },
      {ChannelConfig{"hook", ChannelKind::Webhook, "http://127.0.0.1:9/", "", {}}}, clock, rp);
  sender.start();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sender.stats().sent, 0u);
  EXPECT_EQ(sender.stats().failed_attempts, 0u);
}

TEST(OutboxSenderTest, RetriesWithBackoffUntilTheReceiverAccepts) {
  const fs::path dir = tempDir();
  HttpReceiver rx;
  rx.setStatus(500);
  FaultServiceSettings fss;
  fss.channels = {"hook"};
  FaultService svc(fss, opener(dir / "s.db"));
  ASSERT_TRUE(svc.start(inventory(), at("2024-07-01T00:00:00Z")));
  svc.onEvent(down("L1", at("2024-07-01T00:00:00Z")));

  boost::asio::io_context io;
  FakeClock clock(at("2024-07-01T00:00:01Z"));
  RetryPolicy rp;
  rp.base = std::chrono::seconds(5);
  rp.poll = std::chrono::milliseconds(10);
  OutboxSender sender(
      io, [&] { return svc.store(); },
      {ChannelConfig{"hook", ChannelKind::Webhook, rx.url(), "", {}}}, clock, rp);
  sender.start();
  auto runUntil = [&](auto pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred() && std::chrono::steady_clock::now() < deadline)
      io.run_for(std::chrono::milliseconds(10));
  };
  runUntil([&] { return sender.stats().failed_attempts == 1; });
  auto rows = *svc.store()->outbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].next_attempt, at("2024-07-01T00:00:06Z"));
  EXPECT_EQ(rows[0].last_error, "HTTP 500");
  // Not due yet: polling on does not send again.
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(rx.count(), 1u);
  clock.advance(std::chrono::seconds(5));
  runUntil([&] { return sender.stats().failed_attempts == 2; });
  EXPECT_EQ(svc.store()->outbox()->at(0).next_attempt, at("2024-07-01T00:00:16Z"));  // 10 s
  rx.setStatus(200);
  clock.advance(std::chrono::seconds(10));
  runUntil([&] { return sender.stats().sent == 1; });
  EXPECT_EQ(rx.count(), 3u);
  EXPECT_TRUE(svc.store()->outbox()->at(0).sent_at.has_value());
  EXPECT_EQ(backoff(rp, 30), rp.max);
  fs::remove_all(dir);
}

TEST(OutboxSenderTest, PendingNotificationsGoOutAfterARestartAndNeverTwice) {
  const fs::path dir = tempDir();
  HttpReceiver rx;
  {
    FaultServiceSettings fss;
    fss.channels = {"hook", "hook2"};
    FaultService svc(fss, opener(dir / "s.db"));
    ASSERT_TRUE(svc.start(inventory(), at("2024-07-01T00:00:00Z")));
    svc.onEvent(down("L1", at("2024-07-01T00:00:00Z")));
    ASSERT_TRUE(svc.acknowledge("F-000001", "wang", at("2024-07-01T00:01:00Z")));
  }  // the daemon stops before anything was sent
  SystemClock clock;
  std::vector<ChannelConfig> chans = {{"hook", ChannelKind::Webhook, rx.url() + "/a", "", {}},
                                      {"hook2", ChannelKind::Webhook, rx.url() + "/b", "", {}}};
  for (int run = 0; run < 2; ++run) {
    auto st = store::SqliteStore::open((dir / "s.db").string());
    ASSERT_TRUE(st);
    boost::asio::io_context io;
    OutboxSender sender(
        io, [&] { return st->get(); }, chans, clock);
    sender.start();
    ASSERT_TRUE(drain(io, sender, **st));
  }
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 4u);  // 2 transitions x 2 channels, on the first start only
  std::multiset<std::string> seen;
  for (const auto& r : reqs) seen.insert(r.target + " " + r.headers.at("idempotency-key"));
  EXPECT_EQ(seen, (std::multiset<std::string>{"/a F-000001/1", "/a F-000001/2", "/b F-000001/1",
                                              "/b F-000001/2"}));
  fs::remove_all(dir);
}

TEST(OutboxSenderTest, ExecHookChannelRunsTheProgramPerTransition) {
  const fs::path dir = tempDir();
  FaultServiceSettings fss;
  fss.channels = {"script"};
  FaultService svc(fss, opener(dir / "s.db"));
  ASSERT_TRUE(svc.start(inventory(), at("2024-07-01T00:00:00Z")));
  svc.onEvent(down("L1", at("2024-07-01T00:00:00Z")));
  boost::asio::io_context io;
  SystemClock clock;
  ChannelConfig ch;
  ch.name = "script";
  ch.kind = ChannelKind::Exec;
  ch.argv = {CIRCUITD_BINARY_DIR "/tests/notify/hook_recorder", (dir / "hook.log").string(),
             "{fault_id}", "{state}", "{party}"};
  OutboxSender sender(
      io, [&] { return svc.store(); }, {ch}, clock);
  sender.start();
  ASSERT_TRUE(drain(io, sender, *svc.store()));
  std::ifstream in(dir / "hook.log");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.substr(0, line.find(" stdin=")), "[F-000001][open][carrier] key=F-000001/1");
  fs::remove_all(dir);
}

// A real Alertmanager (Debian's prometheus-alertmanager) on loopback takes the alert, lists it
// while it fires and drops it once circuitd sends the resolution.
TEST(AlertmanagerIntegrationTest, RealAlertmanagerShowsTheFaultAndItsResolution) {
  const char* bin = "/usr/bin/prometheus-alertmanager";
  ASSERT_EQ(::access(bin, X_OK), 0) << bin << " missing: run tools/setup-deps.sh";
  const fs::path dir = tempDir();
  std::ofstream(dir / "am.yml") << "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n";
  unsigned short port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
  const std::string cfg = "--config.file=" + (dir / "am.yml").string();
  const std::string storage = "--storage.path=" + (dir / "data").string();
  circuitd::testing::SpawnOptions am_opts;
  am_opts.log = dir / "am.log";
  // Stopped with SIGTERM when the test ends.
  circuitd::testing::Process am({bin, cfg, storage, listen, "--cluster.listen-address="}, am_opts);
  ASSERT_GT(am.pid(), 0) << am.log();
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = !httpGet("127.0.0.1", port, "/-/ready").empty();
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));  // waits for a process
  }
  ASSERT_TRUE(ready) << "alertmanager did not start; see " << (dir / "am.log");

  FaultServiceSettings fss;
  fss.lifecycle.hold_off = Duration{0};
  fss.channels = {"am"};
  FaultService svc(fss, opener(dir / "s.db"));
  SystemClock clock;
  const TimePoint now = clock.now();
  ASSERT_TRUE(svc.start(inventory(), now));
  svc.onEvent(down("L1", now - std::chrono::minutes(3)));
  boost::asio::io_context io;
  ChannelConfig ch{
      "am", ChannelKind::Alertmanager, "http://127.0.0.1:" + std::to_string(port), "", {}};
  OutboxSender sender(
      io, [&] { return svc.store(); }, {ch}, clock);
  sender.start();
  ASSERT_TRUE(drain(io, sender, *svc.store()));
  json alerts = json::parse(httpGet("127.0.0.1", port, "/api/v2/alerts"));
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump();
  EXPECT_EQ(alerts[0]["labels"]["fault_id"], "F-000001");
  EXPECT_EQ(alerts[0]["labels"]["circuit"], "L1");
  EXPECT_EQ(alerts[0]["annotations"]["party"], "carrier");
  EXPECT_EQ(alerts[0]["status"]["state"], "active");
  const std::string ends = alerts[0]["endsAt"];

  // The periodic refresh re-sends the firing alert and pushes its end forward.
  // A minute later (a fake clock for the refreshing sender, no sleeping):
  FakeClock later(clock.now() + std::chrono::minutes(1));
  OutboxSender refresher(
      io, [&] { return svc.store(); }, {ch}, later);
  ASSERT_EQ(svc.activeEvents().size(), 1u);
  refresher.refreshAlertmanager(svc.activeEvents());
  io.run_for(std::chrono::milliseconds(500));
  alerts = json::parse(httpGet("127.0.0.1", port, "/api/v2/alerts"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_GT(alerts[0]["endsAt"].get<std::string>(), ends);

  // Silences match on circuitd's labels: a silence on the circuit suppresses the alert.
  const json silence = {
      {"matchers",
       json::array(
           {{{"name", "circuit"}, {"value", "L1"}, {"isRegex", false}, {"isEqual", true}}})},
      {"startsAt", formatIso(clock.now() - std::chrono::minutes(1))},
      {"endsAt", formatIso(clock.now() + std::chrono::hours(1))},
      {"createdBy", "circuitd test"},
      {"comment", "carrier work on L1"}};
  ASSERT_EQ(httpPost("127.0.0.1", port, "/api/v2/silences", silence.dump()), 200);
  alerts = json::parse(httpGet("127.0.0.1", port, "/api/v2/alerts"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["status"]["state"], "suppressed") << alerts.dump();

  svc.onEvent(up("L1", clock.now() - std::chrono::seconds(1)));
  sender.kick();
  ASSERT_TRUE(drain(io, sender, *svc.store()));
  alerts = json::parse(httpGet("127.0.0.1", port, "/api/v2/alerts"));
  EXPECT_TRUE(alerts.empty()) << alerts.dump();
  fs::remove_all(dir);
}
