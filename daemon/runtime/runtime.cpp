#include "daemon/runtime/runtime.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "config/rules_file.hpp"
#include "config/values.hpp"
#include "daemon/http/server.hpp"
#include "daemon/log/log.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/runtime/event_log.hpp"
#include "daemon/runtime/loop_clock.hpp"
#include "daemon/runtime/probes.hpp"
#include "daemon/runtime/reload.hpp"
#include "daemon/runtime/sd_notify.hpp"
#include "daemon/service/fault_service.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "domain/core/observation.hpp"
#include "domain/engine/engine.hpp"
#include "domain/engine/rules.hpp"

namespace circuitd::runtime {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Where the store lives: [store] path, else <state_dir>/circuitd.db.
std::string storePath(const config::Config& cfg) {
  if (!cfg.store.path.empty()) return cfg.store.path;
  return (std::filesystem::path(cfg.daemon.state_dir) / "circuitd.db").string();
}

}  // namespace

struct Runtime::Impl {
  Impl(config::Config c, RuntimeOptions o)
      : cfg(std::move(c)),
        options(std::move(o)),
        clock(options.time_scale),
        signals(io),
        tick_timer(io),
        watchdog_timer(io),
        status_timer(io),
        sampler_timer(io),
        stop_guard(io),
        run_for_timer(io),
        log(log::get("daemon")) {}

  // --- start-up -------------------------------------------------------------------------------
  bool start();
  bool startEngine();
  void startStore(TimePoint now);
  void startNotify();
  void armRefresh();
  bool startProbes();
  void closeProbes();
  void installSignals();
  // --- loop work ------------------------------------------------------------------------------
  void armTick();
  void onTick();
  void armWatchdog();
  void armStatus();
  void armSampler();
  void observe(const Observation& o);
  void handleEvents(std::vector<EngineEvent> events);
  void syncStates();
  std::string statusText() const;
  void publishStatus(bool force);
  // --- signals --------------------------------------------------------------------------------
  void onSignal(int sig);
  void reload();
  void beginStop(const char* why);
  void finishStop();

  config::Config cfg;
  RuntimeOptions options;
  LoopClock clock;
  asio::io_context io;
  asio::signal_set signals;
  asio::steady_timer tick_timer, watchdog_timer, status_timer, sampler_timer, stop_guard,
      run_for_timer;
  ServiceNotifier notifier;
  std::shared_ptr<spdlog::logger> log;

  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<service::FaultService> faults;
  std::unique_ptr<http::Server> http_server;     // [http] endpoint; null when disabled
  std::unique_ptr<notify::OutboxSender> sender;  // delivers the outbox; null without [[notify]]
  asio::steady_timer refresh_timer{io};          // repeats firing alerts to Alertmanager
  // Every probe, in start order (probes.cpp); closed in reverse before the store.
  ProbeList probes;
  std::map<std::string, CircuitState> states;  // circuit key -> state, for STATUS= and logs
  std::string last_status;
  bool stopping = false;
  std::atomic<bool> stop_requested{false};
  std::uint64_t observations = 0;
  std::uint64_t state_changes = 0;
};

// ---------------------------------------------------------------------------------------------

bool Runtime::Impl::start() {
  std::error_code ec;
  std::filesystem::create_directories(cfg.daemon.state_dir, ec);
  if (ec) {
    log->error("cannot create state directory {}: {}", cfg.daemon.state_dir, ec.message());
    return false;
  }
  if (!startEngine()) return false;
  if (cfg.http.enabled) {
    // Read-only: each request takes a snapshot of the engine and the store alarm on this thread.
    http::ServerLimits limits;
    limits.idle_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http.client_timeout);
    limits.max_connections = static_cast<std::size_t>(cfg.http.max_connections);
    http_server = std::make_unique<http::Server>(
        io,
        [this] {
          http::Snapshot s;
          for (auto& v : engine->circuits()) {
            http::CircuitRow row{v, "", "", ""};
            if (const Circuit* c = cfg.inventory.findCircuit(v.key))
              row = http::CircuitRow{std::move(v), c->link_id, c->site, c->service};
            s.circuits.push_back(std::move(row));
          }
          s.incidents = engine->openIncidents();
          s.store_available = !(faults && faults->alarm().unavailable);
          s.monitor_blind = engine->monitorBlind();
          for (const auto& p : probes) p->snapshot(s);
          return s;
        },
        limits);
    auto hp = config::parseHostPort(cfg.http.listen, true);
    auto r = hp ? http_server->start(hp->host, hp->port) : Result<void>(fail(hp.error()));
    if (!r) {
      log->error("cannot start the HTTP endpoint: {}", r.error().str());
      return false;
    }
    log->info("HTTP endpoint listening on {}:{} (client timeout {} ms, at most {} connections)",
              hp->host, http_server->port(), limits.idle_timeout.count(), limits.max_connections);
  }
  const TimePoint now = clock.now();
  startStore(now);
  syncStates();
  if (!startProbes()) return false;
  installSignals();
  armTick();
  armWatchdog();
  armStatus();
  armSampler();
  if (options.run_for) {
    run_for_timer.expires_after(*options.run_for);
    run_for_timer.async_wait([this](const boost::system::error_code& e) {
      if (!e) beginStop("run time elapsed");
    });
  }
  // The store is open (or its alarm raised) and the first round of every target is scheduled.
  last_status = statusText();
  notifier.ready(last_status);
  log->info("ready: {}; {}", config::summary(cfg), last_status);
  return true;
}

bool Runtime::Impl::startEngine() {
  engine::Rules rules = config::defaultRules();
  if (!cfg.daemon.rules_file.empty()) {
    std::ifstream in(cfg.daemon.rules_file);
    if (!in) {
      log->error("{}: cannot read the rules file", cfg.daemon.rules_file);
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = config::parseRules(text.str(), cfg.daemon.rules_file);
    if (!parsed) {
      log->error("{}", parsed.error().str());
      return false;
    }
    rules = std::move(*parsed);
  }
  log->info("demarcation rules: {} ({} rules)", rules.origin, rules.rules.size());
  engine = std::make_unique<engine::Engine>(cfg.inventory, std::move(rules));
  return true;
}

void Runtime::Impl::startStore(TimePoint now) {
  const std::string path = storePath(cfg);
  service::FaultServiceSettings fs;
  for (const auto& n : cfg.notify) fs.channels.push_back(n.name);
  faults = std::make_unique<service::FaultService>(
      fs, [path]() -> Result<std::unique_ptr<store::Store>> {
        auto s = store::SqliteStore::open(path);
        if (!s) return fail(s.error());
        return std::unique_ptr<store::Store>(std::move(*s));
      });
  faults->onAlarm([this](const service::StoreAlarm& a) {
    if (a.unavailable)
      log->error("store unavailable: {}; {} batch(es) held in memory", a.error.str(),
                 a.pending_batches);
    else
      log->info("store available again; held changes written");
    publishStatus(true);
  });
  if (auto r = faults->start(cfg.inventory, now); !r)
    log->error("store {}: {}; monitoring continues, changes are held until it can be written", path,
               r.error().str());
  else
    log->info("store open: {} ({} faults not closed)", path, faults->lifecycle().faults().size());
  startNotify();
}

// Every transition was written with one outbox row per channel in the same transaction; the
// sender delivers them, retrying with backoff, and picks up rows a previous run left due.
void Runtime::Impl::startNotify() {
  if (cfg.notify.empty()) return;
  std::vector<notify::ChannelConfig> channels;
  bool alertmanager = false;
  for (const auto& n : cfg.notify) {
    notify::ChannelConfig c;
    c.name = n.name;
    c.kind = notify::parseChannelKind(n.kind).value_or(notify::ChannelKind::Webhook);
    c.url = n.url;
    c.secret = n.secret;
    c.argv = n.command;
    c.timeout = n.timeout;
    if (!n.generator_url.empty()) c.alertmanager.generator_url_base = n.generator_url;
    alertmanager = alertmanager || c.kind == notify::ChannelKind::Alertmanager;
    channels.push_back(std::move(c));
  }
  sender = std::make_unique<notify::OutboxSender>(
      io, [this]() -> store::Store* { return faults ? faults->store() : nullptr; },
      std::move(channels), clock);
  faults->onCommitted([this] {
    if (sender) sender->kick();
  });
  sender->start();
  log->info("notifications: {} channel(s)", cfg.notify.size());
  if (alertmanager) armRefresh();
}

// Alertmanager resolves an alert whose endsAt passes, so firing ones are sent again well before.
void Runtime::Impl::armRefresh() {
  refresh_timer.expires_after(std::chrono::minutes{5});
  refresh_timer.async_wait([this](const boost::system::error_code& e) {
    if (e || !sender) return;
    sender->refreshAlertmanager(faults->activeEvents());
    armRefresh();
  });
}

// The probes the configuration turns on (probes.cpp), started in order, then given the
// inventory: every first round is scheduled before READY=1.
bool Runtime::Impl::startProbes() {
  ProbeContext ctx{io, clock, [this](const Observation& o) { observe(o); }, cfg, log, options};
  auto made = makeProbes(probeKinds(cfg), ctx);
  if (!made) {
    log->error("{}", made.error().str());
    return false;
  }
  probes = std::move(*made);
  for (const auto& p : probes) p->start();
  for (const auto& p : probes) p->apply(cfg.inventory);
  return true;
}

void Runtime::Impl::closeProbes() {
  // Reverse start order: the capture thread is joined first, the ICMP sockets close last.
  while (!probes.empty()) probes.pop_back();
}

void Runtime::Impl::installSignals() {
  signals.add(SIGINT);
  signals.add(SIGTERM);
  signals.add(SIGHUP);
  if (options.test_hooks) signals.add(SIGUSR2);
  signals.async_wait([this](const boost::system::error_code& e, int sig) {
    if (!e) onSignal(sig);
  });
}

// --- engine tick, status, watchdog ------------------------------------------------------------

void Runtime::Impl::armTick() {
  if (stopping) return;
  // One virtual second, but no faster than every 20 ms of real time in compressed runs.
  const auto period = std::max<SteadyClock::duration>(clock.realFor(std::chrono::seconds{1}),
                                                      std::chrono::milliseconds{20});
  tick_timer.expires_after(period);
  tick_timer.async_wait([this](const boost::system::error_code& e) {
    if (!e) onTick();
  });
}

void Runtime::Impl::onTick() {
  const TimePoint now = clock.now();
  engine->tick(now);
  handleEvents(engine->drain());
  faults->onTick(now);
  publishStatus(false);
  armTick();
}

void Runtime::Impl::armWatchdog() {
  const auto timeout = notifier.watchdogTimeout();
  if (!timeout || stopping) return;
  // Ping at a quarter of the timeout from a loop timer: if any handler blocks the loop this
  // stops, and systemd kills and restarts the service (WatchdogSec=, Restart=on-failure).
  watchdog_timer.expires_after(std::max<Duration>(*timeout / 4, Duration{1}));
  watchdog_timer.async_wait([this](const boost::system::error_code& e) {
    if (e) return;
    notifier.watchdog();
    armWatchdog();
  });
}

void Runtime::Impl::armStatus() {
  if (stopping) return;
  status_timer.expires_after(std::chrono::seconds{10});
  status_timer.async_wait([this](const boost::system::error_code& e) {
    if (e) return;
    publishStatus(true);
    armStatus();
  });
}

void Runtime::Impl::armSampler() {
  if (!options.sampler || stopping) return;
  sampler_timer.expires_after(options.sample_every);
  sampler_timer.async_wait([this](const boost::system::error_code& e) {
    if (e) return;
    options.sampler();
    armSampler();
  });
}

std::string Runtime::Impl::statusText() const {
  std::string s = statusLine(countStates(states));
  if (faults && faults->alarm().unavailable) s += "; store unavailable";
  if (engine && engine->monitorBlind()) s += "; monitor blind";
  return s;
}

void Runtime::Impl::publishStatus(bool force) {
  const std::string status = statusText();
  if (!force && status == last_status) return;
  last_status = status;
  notifier.status(status);
}

// --- observations and engine events ------------------------------------------------------------

void Runtime::Impl::observe(const Observation& o) {
  ++observations;
  engine->observe(o);
}

void Runtime::Impl::handleEvents(std::vector<EngineEvent> events) {
  for (const auto& e : events) {
    if (e.kind == EngineEventKind::CircuitStateChanged) {
      ++state_changes;
      if (auto it = states.find(e.circuit); it != states.end()) it->second = e.decision.state;
    }
    logEvent(*log, e);
    faults->onEvent(e);
  }
}

void Runtime::Impl::syncStates() {
  states.clear();
  for (const auto& v : engine->circuits()) states.emplace(v.key, v.state);
}

// --- signals ------------------------------------------------------------------------------------

void Runtime::Impl::onSignal(int sig) {
  switch (sig) {
    case SIGHUP:
      reload();
      break;
    case SIGUSR2:
      log->warn("test hook: blocking the event loop for {} ms", options.test_block_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds{options.test_block_ms});
      log->warn("test hook: event loop unblocked");
      break;
    default:
      beginStop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return;  // not re-armed: the stop is under way
  }
  signals.async_wait([this](const boost::system::error_code& e, int s) {
    if (!e) onSignal(s);
  });
}

void Runtime::Impl::reload() {
  notifier.reloading();
  log->info("SIGHUP: reloading {}", cfg.path);
  auto loaded = config::load(cfg.path);
  for (const auto& w : loaded.warnings) log->warn("reload: {}", w.str());
  if (!loaded.config) {
    for (const auto& e : loaded.errors) log->error("reload: {}", e.str());
    log->error("reload refused: {} error(s); keeping the running configuration",
               loaded.errors.size());
    notifier.ready(last_status);
    return;
  }
  config::Config next = std::move(*loaded.config);
  const ConfigDiff diff = diffConfig(cfg, next);
  for (const auto& key : diff.restart_required)
    log->warn("reload: {} changed; it takes effect at the next restart", key);
  // Settings that cannot change live keep their running values.
  next.store = cfg.store;
  next.http = cfg.http;
  const std::string log_level = next.daemon.log_level;
  next.daemon = cfg.daemon;
  next.daemon.log_level = log_level;
  if (log_level != cfg.daemon.log_level && !log::setup(log_level, log::stderrIsJournal()))
    log->warn("reload: unknown log_level '{}'", log_level);

  // Events up to now belong to the old inventory: hand them over before the switch.
  const TimePoint now = clock.now();
  engine->tick(now);
  handleEvents(engine->drain());
  engine->setInventory(next.inventory);
  for (const auto& p : probes) p->apply(next.inventory);  // each diffs its own targets
  if (auto* st = faults->store()) {
    if (auto r = st->putInventory(next.inventory); !r)
      log->warn("reload: storing the inventory snapshot: {}", r.error().str());
  }
  cfg = std::move(next);
  syncStates();
  for (const auto& k : diff.circuits_added) log->info("reload: circuit {} added", k);
  for (const auto& k : diff.circuits_removed) log->info("reload: circuit {} removed", k);
  for (const auto& k : diff.circuits_changed) log->info("reload: circuit {} changed", k);
  log->info("reload applied: {}", diff.summary());
  last_status = statusText();
  notifier.ready(last_status);
}

void Runtime::Impl::beginStop(const char* why) {
  if (stopping) return;
  stopping = true;
  log->info("{}: stopping", why);
  notifier.stopping(last_status);
  // Stop taking new work. One thread: whatever handler was writing to the store has returned
  // before this one runs, so no write is cut in half; finishStop() does the final flush.
  tick_timer.cancel();
  watchdog_timer.cancel();
  status_timer.cancel();
  sampler_timer.cancel();
  run_for_timer.cancel();
  signals.cancel();
  for (const auto& p : probes) p->stop();  // the capture thread wakes; it is joined after the loop
  if (http_server) http_server->stop();
  refresh_timer.cancel();
  if (sender) sender->stop();  // rows not yet sent stay due in the store for the next start
  // Anything still pending after 4 s is abandoned so that the stop stays within 5 s.
  stop_guard.expires_after(std::chrono::seconds{4});
  stop_guard.async_wait([this](const boost::system::error_code& e) {
    if (!e) {
      log->warn("stop: work still pending after 4 s, abandoning it");
      io.stop();
    }
  });
  asio::post(io, [this] {
    finishStop();
    stop_guard.cancel();
  });
}

void Runtime::Impl::finishStop() {
  // Samples that arrived up to now still count: evaluate them and write what they decided.
  const TimePoint now = clock.now();
  engine->tick(now);
  handleEvents(engine->drain());
  faults->onTick(now);
  const auto& alarm = faults->alarm();
  if (alarm.unavailable)
    log->error("stopping with the store unavailable: {} batch(es) could not be written ({})",
               alarm.pending_batches, alarm.error.str());
  log->info("stopped: {}; {} observations, {} state changes, {} transitions written", statusText(),
            observations, state_changes, faults->transitionsWritten());
}

// ---------------------------------------------------------------------------------------------

Runtime::Runtime(config::Config cfg, RuntimeOptions options)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(options))) {}

Runtime::~Runtime() { impl_->closeProbes(); }

int Runtime::run() {
  if (!impl_->start()) return 1;
  if (impl_->stop_requested) impl_->beginStop("stop requested");
  impl_->io.run();
  // Close sockets and the store on this thread, in dependency order.
  impl_->closeProbes();
  impl_->log->debug("stop: probes closed");
  impl_->sender.reset();
  impl_->faults.reset();
  impl_->log->debug("stop: store closed");
  return 0;
}

void Runtime::stop() {
  impl_->stop_requested = true;
  asio::post(impl_->io, [this] { impl_->beginStop("stop requested"); });
}

StateCounts Runtime::counts() const { return countStates(impl_->states); }

RuntimeStats Runtime::stats() const {
  RuntimeStats s;
  s.observations = impl_->observations;
  s.state_changes = impl_->state_changes;
  if (impl_->faults) s.transitions = impl_->faults->transitionsWritten();
  for (const auto& p : impl_->probes) p->stats(s);
  return s;
}

int run(config::Config cfg) {
  RuntimeOptions options;
  if (const char* h = std::getenv("CIRCUITD_TEST_HOOKS"); h && std::string(h) == "1")
    options.test_hooks = true;
  if (const char* b = std::getenv("CIRCUITD_TEST_BLOCK_MS")) options.test_block_ms = std::atoll(b);
  if (const char* b = std::getenv("CIRCUITD_TEST_CAPTURE_BUFFER"))
    options.capture_buffer_bytes = std::atoi(b);
  Runtime rt(std::move(cfg), std::move(options));
  return rt.run();
}

}  // namespace circuitd::runtime
