#include "daemon/runtime/runtime.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "domain/core/observation.hpp"
#include "daemon/log/log.hpp"
#include "daemon/runtime/reload.hpp"
#include "daemon/runtime/scheduler.hpp"
#include "daemon/runtime/sd_notify.hpp"

#include "config/values.hpp"
#include "domain/engine/engine.hpp"
#include "domain/engine/rules.hpp"
#include "daemon/http/server.hpp"
#include "daemon/service/fault_service.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "probes/capture/pcap_source.hpp"
#include "probes/capture/traffic_counter.hpp"
#include "probes/icmp/icmp_prober.hpp"
#include "probes/snmp/poller.hpp"
#include "probes/snmp/profile.hpp"
#include "probes/snmp/trap_receiver.hpp"
#include "daemon/runtime/system_clock.hpp"

namespace circuitd::runtime {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Sample timestamps. At time_scale 1 this is the system clock; above 1, virtual time starts at
// the real wall clock and runs time_scale times faster, so engine timers and hysteresis see a
// compressed day.
class LoopClock final : public Clock {
 public:
  explicit LoopClock(double scale)
      : scale_(scale), wall0_(SystemClock{}.now()), mono0_(SteadyClock::now()) {}
  TimePoint now() const override {
    if (scale_ == 1.0) return SystemClock{}.now();
    const auto real = SteadyClock::now() - mono0_;
    return wall0_ + std::chrono::duration_cast<Duration>(real * scale_);
  }
  // Real time to wait for `virtual_span` of loop time.
  SteadyClock::duration realFor(Duration virtual_span) const {
    return std::chrono::duration_cast<SteadyClock::duration>(virtual_span / scale_);
  }

 private:
  double scale_;
  TimePoint wall0_;
  SteadyClock::time_point mono0_;
};

// ICMP targets the inventory asks for, with the shortest probe interval among their circuits.
std::map<std::string, Duration> icmpTargets(const Inventory& inv) {
  std::map<std::string, Duration> out;
  for (const auto& c : inv.circuits) {
    for (const std::string* t : {&c.carrier_target, &c.customer_target}) {
      if (t->empty()) continue;
      auto [it, added] = out.emplace(*t, c.probe_interval);
      if (!added) it->second = std::min(it->second, c.probe_interval);
    }
  }
  return out;
}

// Passive capture reports per-circuit throughput once per window.
constexpr double kCaptureWindowSeconds = 10.0;

// Where the store lives: [store] path, else <state_dir>/circuitd.db.
std::string storePath(const config::Config& cfg) {
  if (!cfg.store.path.empty()) return cfg.store.path;
  return (std::filesystem::path(cfg.daemon.state_dir) / "circuitd.db").string();
}

// The interfaces the poller must resolve on a device: every UNI and uplink of its circuits.
snmp::PollTarget pollTarget(const Device& d, const Inventory& inv,
                            std::shared_ptr<const snmp::VendorProfile> profile) {
  snmp::PollTarget t;
  t.device = d.name;
  t.address = d.address;
  t.port = d.snmp_port;
  t.credentials = d.snmp;
  t.name_source = d.if_name_source;
  std::set<std::string> names;
  for (const auto& c : inv.circuits) {
    if (c.device != d.name) continue;
    if (!c.uni_interface.empty()) {
      names.insert(c.uni_interface);
      if (c.bandwidth_mbps) t.contracted_mbps[c.uni_interface] = *c.bandwidth_mbps;
    }
    for (const auto& u : c.uplink_interfaces) names.insert(u);
  }
  t.interfaces.assign(names.begin(), names.end());
  t.profile = std::move(profile);
  t.interval = d.poll_interval;
  t.timeout = d.timeout;
  t.retries = d.retries;
  return t;
}

}  // namespace

struct Runtime::Impl {
  Impl(config::Config c, RuntimeOptions o)
      : cfg(std::move(c)),
        options(std::move(o)),
        clock(options.time_scale),
        signals(io),
        schedule_timer(io),
        tick_timer(io),
        watchdog_timer(io),
        status_timer(io),
        sampler_timer(io),
        stop_guard(io),
        run_for_timer(io),
        scheduler(SchedulerSettings{Duration{2}, 0.1,
                                    options.seed ? *options.seed : std::random_device{}()}),
        log(log::get("daemon")) {}

  // --- start-up -------------------------------------------------------------------------------
  bool start();
  bool startEngine();
  void startStore(TimePoint now);
  void startNotify();
  void armRefresh();
  void startProbes();
  void startCapture();
  void stopCapture();
  void installSignals();
  std::shared_ptr<const snmp::VendorProfile> profile(const std::string& name);
  void applyInventory(const Inventory& before, const Inventory& after, bool first);
  // --- loop work ------------------------------------------------------------------------------
  void armSchedule();
  void onSchedule();
  void runJob(const std::string& key);
  void armTick();
  void onTick();
  void armWatchdog();
  void armStatus();
  void armSampler();
  void observe(const Observation& o);
  void onReach(const ReachSample& s);
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
  asio::steady_timer schedule_timer, tick_timer, watchdog_timer, status_timer, sampler_timer,
      stop_guard, run_for_timer;
  Scheduler scheduler;
  ServiceNotifier notifier;
  std::shared_ptr<spdlog::logger> log;

  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<service::FaultService> faults;
  std::unique_ptr<http::Server> http_server;  // [http] endpoint; null when disabled
  std::unique_ptr<notify::OutboxSender> sender;  // delivers the outbox; null without [[notify]]
  asio::steady_timer refresh_timer{io};          // repeats firing alerts to Alertmanager
  std::unique_ptr<icmp::IcmpProber> icmp_prober;
  std::unique_ptr<snmp::SnmpPoller> poller;
  std::unique_ptr<snmp::TrapReceiver> traps;
  std::map<std::string, std::shared_ptr<const snmp::VendorProfile>> profiles;
  std::map<std::string, Duration> icmp_targets;  // as added to the prober
  bool icmp_ok = false;
  std::string monitor_target;                    // the monitor's own uplink check, if any
  // libpcap's capture loop blocks, so it runs on its own thread and posts its samples to the
  // loop at each window boundary, keeping one handle open; the inventory it keys circuits by is
  // handed over under the mutex on reload and taken at the next boundary. The stop wakes the
  // capture at once, so the thread is always joined.
  struct CaptureShared {
    capture::CaptureStop stop;
    std::mutex mu;
    Inventory inventory;             // guarded by mu
    bool inventory_changed = false;  // guarded by mu: a reload set `inventory`
  };
  std::unique_ptr<CaptureShared> capture;
  std::thread capture_thread;
  // Loop thread: what the capture's windows reported since start, for /metrics, and the
  // warning about drops (at most once a minute).
  http::CaptureCounters capture_counts;
  capture::DropWarnings drop_warnings;
  void onCaptureWindow(const std::string& iface, const capture::CaptureWindow& w);

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
    http_server = std::make_unique<http::Server>(io, [this] {
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
      if (capture) s.capture = capture_counts;
      return s;
    }, limits);
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
  startProbes();
  startCapture();
  applyInventory(Inventory{}, cfg.inventory, true);
  installSignals();
  armSchedule();
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
  engine::Rules rules = engine::defaultRules();
  if (!cfg.daemon.rules_file.empty()) {
    std::ifstream in(cfg.daemon.rules_file);
    if (!in) {
      log->error("{}: cannot read the rules file", cfg.daemon.rules_file);
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = engine::parseRules(text.str(), cfg.daemon.rules_file);
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
    log->error("store {}: {}; monitoring continues, changes are held until it can be written",
               path, r.error().str());
  else
    log->info("store open: {} ({} faults not closed)", path,
              faults->lifecycle().faults().size());
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

std::shared_ptr<const snmp::VendorProfile> Runtime::Impl::profile(const std::string& name) {
  if (name.empty()) return nullptr;
  if (auto it = profiles.find(name); it != profiles.end()) return it->second;
  std::vector<std::string> dirs;
  if (!cfg.daemon.profiles_dir.empty()) dirs.push_back(cfg.daemon.profiles_dir);
  dirs.push_back((std::filesystem::path(cfg.path).parent_path() / "profiles").string());
  for (auto& d : snmp::defaultProfileDirs()) dirs.push_back(std::move(d));
  std::shared_ptr<const snmp::VendorProfile> p;
  if (auto r = snmp::loadProfile(name, dirs); r)
    p = std::make_shared<const snmp::VendorProfile>(std::move(*r));
  else
    log->warn("vendor profile '{}': {}; polling with standard MIBs only", name, r.error().str());
  profiles.emplace(name, p);
  return p;
}

void Runtime::Impl::startProbes() {
  icmp::ProberOptions icmp_options;
  icmp_options.send_quantum = cfg.daemon.icmp_send_quantum;  // 0 = automatic
  icmp_prober = std::make_unique<icmp::IcmpProber>(
      io, clock, [this](const ReachSample& s) { onReach(s); }, icmp_options);
  monitor_target = cfg.daemon.monitor_target;

  snmp::PollerLimits limits;
  limits.max_in_flight_total = static_cast<std::size_t>(std::max(1, cfg.daemon.max_in_flight));
  limits.max_in_flight_per_device =
      static_cast<std::size_t>(std::max(1, cfg.daemon.max_in_flight_per_device));
  limits.spread_start = false;  // rounds are placed by the runtime's scheduler (pollNow)
  poller = std::make_unique<snmp::SnmpPoller>(
      io, clock, [this](Observation o) { observe(o); }, limits);

  if (!cfg.daemon.trap_listen.empty()) {
    auto hp = config::parseHostPort(cfg.daemon.trap_listen, true);
    if (!hp) {
      log->error("trap_listen '{}': {}", cfg.daemon.trap_listen, hp.error().what);
      return;
    }
    snmp::TrapReceiverConfig tc;
    tc.address = hp->host;
    tc.port = hp->port;
    tc.communities = cfg.daemon.trap_communities;
    for (const auto& d : cfg.inventory.devices)
      if (auto p = profile(d.profile)) tc.profiles.push_back(p);
    traps = std::make_unique<snmp::TrapReceiver>(
        io, clock, tc, [this](Observation o) { observe(o); },
        [this](const std::string& ip) -> std::optional<std::string> {
          for (const auto& d : cfg.inventory.devices)
            if (d.address == ip) return d.name;
          return std::nullopt;
        });
    if (auto r = traps->start(); !r) {
      log->error("trap receiver on {}: {}; traps will not be received", cfg.daemon.trap_listen,
                 r.error().str());
      traps.reset();
    } else {
      log->info("trap receiver listening on {}:{}", tc.address, traps->port());
    }
  }
}

void Runtime::Impl::startCapture() {
  const std::string iface = cfg.daemon.capture_interface;
  if (iface.empty()) return;
  capture = std::make_unique<CaptureShared>();
  capture->inventory = cfg.inventory;
  log->info("passive capture on {} ({} s windows)", iface, kCaptureWindowSeconds);
  // The thread is joined before the loop and this object go (stopCapture), so it may post
  // handlers that use `this`; io_context::post is safe from any thread.
  capture_thread = std::thread([this, cs = capture.get(), iface] {
    auto send = [this](std::function<void()> fn) { asio::post(io, std::move(fn)); };
    Inventory inv;
    {
      std::lock_guard<std::mutex> lock(cs->mu);
      inv = cs->inventory;
      cs->inventory_changed = false;
    }
    // One counter for the daemon's life: windows split its counts, CCM continuity carries on.
    auto counter = capture::TrafficCounter::create(inv);
    if (!counter) {
      send([this, e = counter.error()] {
        log->error("capture: {}; passive capture stopped", e.str());
      });
      return;
    }
    bool failing = false;
    capture::CaptureOptions opt;
    opt.stop = &cs->stop;
    opt.sample_seconds = kCaptureWindowSeconds;
    opt.buffer_bytes = options.capture_buffer_bytes;
    opt.on_ready = [&] {
      if (failing) send([this, iface] { log->info("capture on {} working again", iface); });
      failing = false;
    };
    opt.on_window = [&](const capture::CaptureWindow& w) {
      send([this, iface, w] { onCaptureWindow(iface, w); });
      // A reload's inventory keys circuits from the next window on.
      std::optional<Inventory> next;
      {
        std::lock_guard<std::mutex> lock(cs->mu);
        if (cs->inventory_changed) next = cs->inventory;
        cs->inventory_changed = false;
      }
      if (!next) return;
      if (auto r = counter->setInventory(*next); !r)
        send([this, e = r.error()] {
          log->error("capture: {}; keeping the previous circuits", e.str());
        });
    };
    // The handle stays open across windows; it is reopened only after a failure.
    while (!cs->stop.requested()) {
      auto r = capture::captureLive(iface, *counter, [this, send](const CfmSample& s) {
        send([this, s] { observe(s); });
      }, opt);
      if (r) break;  // stopped
      // Environment failure (interface gone, no CAP_NET_RAW): log once per change, retry.
      if (!failing) send([this, e = r.error()] { log->error("capture: {}", e.str()); });
      failing = true;
      cs->stop.waitFor(std::chrono::seconds{5});
    }
  });
}

void Runtime::Impl::onCaptureWindow(const std::string& iface, const capture::CaptureWindow& w) {
  // ThroughputSample has no lower-bound flag: a window with drops is told by the warning below
  // and by circuitd_capture_dropped_total, its samples go to the engine as they are.
  for (const auto& s : w.samples) observe(s);
  log->debug(
      "capture on {}: {} frames, {} matched to circuits, {} unmatched, {} dropped in the last {} s",
      iface, w.frames, w.matched, w.unmatched, w.dropped + w.interface_dropped,
      kCaptureWindowSeconds);
  capture_counts.frames += w.frames;
  capture_counts.dropped += w.dropped;
  capture_counts.interface_dropped += w.interface_dropped;
  if (auto d = drop_warnings.add(w, SteadyClock::now()))
    log->warn(
        "capture on {}: the kernel dropped {} frames before they were read ({} with the capture "
        "buffer full, {} by the interface) in {} window(s) of {} s; the throughput of those "
        "windows is a lower bound",
        iface, d->dropped + d->interface_dropped, d->dropped, d->interface_dropped, d->windows,
        kCaptureWindowSeconds);
}

void Runtime::Impl::stopCapture() {
  if (!capture) return;
  // The request wakes the capture's poll(); the thread returns without a partial window.
  const auto t0 = SteadyClock::now();
  capture->stop.request();
  capture_thread.join();
  log->debug("stop: capture thread joined after {} ms",
             std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0)
                 .count());
  capture.reset();
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

void Runtime::Impl::applyInventory(const Inventory& before, const Inventory& after, bool first) {
  const TimePoint now = clock.now();
  // ICMP: the prober spreads sends itself; the runtime only keeps its target set in line.
  auto wanted = icmpTargets(after);
  if (!cfg.daemon.monitor_target.empty())
    wanted.emplace(cfg.daemon.monitor_target, std::chrono::seconds{1});
  for (auto it = icmp_targets.begin(); it != icmp_targets.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second) {
      icmp_prober->removeTarget(it->first);
      it = icmp_targets.erase(it);
    } else {
      ++it;
    }
  }
  if (!wanted.empty() && !icmp_ok) {
    if (auto r = icmp_prober->start(); !r) {
      log->error("ICMP prober: {}", r.error().str());
      MonitorHealth h;
      h.time = now;
      h.probes_can_send = false;
      h.detail = r.error().str();
      observe(h);
    } else {
      icmp_ok = true;
    }
  }
  if (icmp_ok) {
    for (const auto& [target, interval] : wanted) {
      if (icmp_targets.count(target)) continue;
      icmp::TargetOptions to;
      const auto real = std::chrono::duration_cast<Duration>(clock.realFor(interval));
      to.interval = std::max(real, Duration{1});
      to.timeout = std::min(to.interval, Duration{std::chrono::seconds{1}});
      if (auto r = icmp_prober->addTarget(target, to); !r) {
        log->warn("ICMP target {}: {}", target, r.error().str());
        continue;
      }
      icmp_targets.emplace(target, interval);
    }
  }
  // SNMP: one scheduler key per device; a device whose definition or circuits changed is
  // re-added to the poller (new interface list) and keeps its place only if unchanged.
  std::set<std::string> keep;
  for (const auto& d : after.devices) {
    const std::string key = "snmp:" + d.name;
    keep.insert(key);
    const Device* old = before.findDevice(d.name);
    auto target = pollTarget(d, after, profile(d.profile));
    const bool same = !first && old && *old == d &&
                      pollTarget(*old, before, target.profile).interfaces == target.interfaces &&
                      scheduler.contains(key);
    if (same) continue;
    poller->removeDevice(d.name);
    if (auto r = poller->addDevice(std::move(target)); !r) {
      log->warn("SNMP device {}: {}", d.name, r.error().str());
      scheduler.remove(key);
      continue;
    }
    scheduler.add(key, d.poll_interval, now);
  }
  for (const auto& [key, interval] : scheduler.targets()) {
    if (key.rfind("snmp:", 0) == 0 && !keep.count(key)) {
      poller->removeDevice(key.substr(5));
      scheduler.remove(key);
    }
  }
}

// --- the scheduler timer ------------------------------------------------------------------------

void Runtime::Impl::armSchedule() {
  if (stopping) return;
  auto due = scheduler.nextDue();
  if (!due) return;  // re-armed when reload adds targets
  // Rounds due within one slot of the grid leave together: one wake-up, and the poller sends
  // their datagrams in one batch.
  if (const auto grid = cfg.daemon.snmp_start_grid; grid.count() > 0) {
    using D = TimePoint::duration;
    const D since = due->time_since_epoch();
    const D g = std::chrono::duration_cast<D>(grid);
    due = TimePoint{((since + g - D{1}) / g) * g};
  }
  const auto wait = *due - clock.now();
  schedule_timer.expires_after(wait > Duration::zero() ? clock.realFor(wait)
                                                       : SteadyClock::duration::zero());
  schedule_timer.async_wait([this](const boost::system::error_code& e) {
    if (!e) onSchedule();
  });
}

void Runtime::Impl::onSchedule() {
  for (const auto& key : scheduler.popDue(clock.now())) runJob(key);
  armSchedule();
}

void Runtime::Impl::runJob(const std::string& key) {
  if (key.rfind("snmp:", 0) == 0) poller->pollNow(key.substr(5), nullptr);
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

void Runtime::Impl::onReach(const ReachSample& s) {
  if (!monitor_target.empty() && s.target == monitor_target) {
    MonitorHealth h;
    h.time = s.time;
    h.uplink_up = s.replied;
    h.probes_can_send = s.error.rfind("send failed", 0) != 0;
    h.detail = s.replied ? "" : s.target + ": " + s.error;
    observe(h);
  }
  observe(s);
}

void Runtime::Impl::handleEvents(std::vector<EngineEvent> events) {
  for (const auto& e : events) {
    const Decision& d = e.decision;
    switch (e.kind) {
      case EngineEventKind::CircuitStateChanged: {
        ++state_changes;
        auto it = states.find(e.circuit);
        if (it != states.end()) it->second = d.state;
        if (d.state == CircuitState::Up || d.state == CircuitState::Unknown)
          log->info("circuit {}: {} -> {}{}", e.circuit, e.from ? toString(*e.from) : "-",
                    toString(d.state), d.summary.empty() ? "" : " | " + d.summary);
        else
          log->info("circuit {}: {} -> {}{}{} | {} | {} side ({}){}{}", e.circuit,
                    e.from ? toString(*e.from) : "-", toString(d.state),
                    e.flapping ? " (flapping)" : "", e.suppressed ? " (in incident)" : "",
                    d.summary.empty() ? "-" : d.summary, toString(d.party), toString(d.location),
                    d.clause.empty() ? "" : ", clause " + d.clause,
                    d.rule_id.empty() ? "" : ", rule " + d.rule_id);
        break;
      }
      case EngineEventKind::IncidentOpened:
      case EngineEventKind::IncidentUpdated:
      case EngineEventKind::IncidentSplit:
      case EngineEventKind::IncidentResolved:
        log->info("incident {} {}: root cause {}, {} circuit(s) | {} | {} side{}", e.incident,
                  toString(e.kind), e.root_cause, e.circuits.size(), d.summary, toString(d.party),
                  d.clause.empty() ? "" : ", clause " + d.clause);
        break;
      case EngineEventKind::MonitorBlind:
        log->warn("monitor blind: {}", d.summary);
        break;
      case EngineEventKind::MonitorRecovered:
        log->info("monitor recovered: {}", d.summary);
        break;
    }
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
  applyInventory(cfg.inventory, next.inventory, false);
  if (capture) {
    std::lock_guard<std::mutex> lock(capture->mu);
    capture->inventory = next.inventory;  // the next capture window keys circuits by it
    capture->inventory_changed = true;
  }
  if (auto* st = faults->store()) {
    if (auto r = st->putInventory(next.inventory); !r)
      log->warn("reload: storing the inventory snapshot: {}", r.error().str());
  }
  cfg = std::move(next);
  syncStates();
  schedule_timer.cancel();
  armSchedule();
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
  schedule_timer.cancel();
  tick_timer.cancel();
  watchdog_timer.cancel();
  status_timer.cancel();
  sampler_timer.cancel();
  run_for_timer.cancel();
  signals.cancel();
  if (icmp_prober) icmp_prober->stop();
  if (poller) poller->stop();
  if (traps) traps->stop();
  if (capture) capture->stop.request();  // wakes the capture thread, joined after the loop
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
  log->info("stopped: {}; {} observations, {} state changes, {} transitions written",
            statusText(), observations, state_changes, faults->transitionsWritten());
}

// ---------------------------------------------------------------------------------------------

Runtime::Runtime(config::Config cfg, RuntimeOptions options)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(options))) {}

Runtime::~Runtime() { impl_->stopCapture(); }

int Runtime::run() {
  if (!impl_->start()) return 1;
  if (impl_->stop_requested) impl_->beginStop("stop requested");
  impl_->io.run();
  // Close sockets and the store on this thread, in dependency order.
  impl_->stopCapture();
  impl_->traps.reset();
  impl_->poller.reset();
  impl_->icmp_prober.reset();
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
  if (impl_->icmp_prober) s.icmp_sent = impl_->icmp_prober->stats().sent;
  if (impl_->poller) s.snmp_rounds = impl_->poller->stats().rounds;
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
