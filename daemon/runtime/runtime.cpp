#include "daemon/runtime/runtime.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/core/observation.hpp"
#include "daemon/log/log.hpp"
#include "daemon/runtime/reload.hpp"
#include "daemon/runtime/scheduler.hpp"
#include "daemon/runtime/sd_notify.hpp"

#if CIRCUITD_HAVE_ICMP
#include "probes/icmp/icmp_prober.hpp"
#endif

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

constexpr const char* kStoreComponent = "store";

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
  void installSignals();
  void applyInventory(const Inventory& before, const Inventory& after, bool first);
  // --- loop work ------------------------------------------------------------------------------
  void armSchedule();
  void onSchedule();
  void runJob(const std::string& key, TimePoint now);
  void armTick();
  void onTick();
  void armWatchdog();
  void armStatus();
  void armSampler();
  void observe(const Observation& o);
  void setState(const std::string& circuit, CircuitState s, TimePoint t, const std::string& why);
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
  std::map<std::string, CircuitState> states;  // circuit key -> state, for STATUS= and logs
  std::string last_status;
  bool stopping = false;
  bool started = false;
  std::atomic<bool> stop_requested{false};
  std::uint64_t observations = 0;
#if CIRCUITD_HAVE_ICMP
  std::unique_ptr<icmp::IcmpProber> icmp_prober;
  std::map<std::string, Duration> icmp_targets;  // as added to the prober
#endif
};

// ---------------------------------------------------------------------------------------------

bool Runtime::Impl::start() {
  std::error_code ec;
  std::filesystem::create_directories(cfg.daemon.state_dir, ec);
  if (ec) {
    log->error("cannot create state directory {}: {}", cfg.daemon.state_dir, ec.message());
    return false;
  }
#if CIRCUITD_HAVE_ICMP
  icmp_prober = std::make_unique<icmp::IcmpProber>(
      io, clock, [this](const ReachSample& s) { observe(s); });
  if (!icmpTargets(cfg.inventory).empty()) {
    if (auto r = icmp_prober->start(); !r) {
      log->error("ICMP prober: {}", r.error().str());
      return false;
    }
  }
#endif
  for (const auto& c : cfg.inventory.circuits) states.emplace(c.key, CircuitState::Unknown);
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
  started = true;
  const std::string status = statusLine(countStates(states));
  last_status = status;
  notifier.ready(status);
  log->info("ready: {}; {}", config::summary(cfg), status);
  return true;
}

void Runtime::Impl::installSignals() {
  signals.add(SIGINT);
  signals.add(SIGTERM);
  signals.add(SIGHUP);
  if (options.test_hooks) signals.add(SIGUSR2);
  signals.async_wait([this](const boost::system::error_code& e, int sig) {
    if (e) return;
    onSignal(sig);
  });
}

void Runtime::Impl::applyInventory(const Inventory& before, const Inventory& after, bool first) {
  const TimePoint now = clock.now();
#if CIRCUITD_HAVE_ICMP
  const auto wanted = icmpTargets(after);
  for (auto it = icmp_targets.begin(); it != icmp_targets.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second) {
      icmp_prober->removeTarget(it->first);
      it = icmp_targets.erase(it);
    } else {
      ++it;
    }
  }
  if (!wanted.empty() && !icmp_prober->socketInfo().v4_open) {
    if (auto r = icmp_prober->start(); !r) log->error("ICMP prober: {}", r.error().str());
  }
  for (const auto& [target, interval] : wanted) {
    if (icmp_targets.count(target)) continue;
    icmp::TargetOptions to;
    const auto real_interval = std::chrono::duration_cast<Duration>(clock.realFor(interval));
    to.interval = std::max(real_interval, Duration{1});
    to.timeout = std::min(to.interval, Duration{std::chrono::seconds{1}});
    if (auto r = icmp_prober->addTarget(target, to); !r) {
      log->warn("ICMP target {}: {}", target, r.error().str());
      continue;
    }
    icmp_targets.emplace(target, interval);
  }
#endif
  // SNMP device polls go through the runtime's own scheduler, one key per device.
  std::set<std::string> keep;
  for (const auto& d : after.devices) {
    const std::string key = "snmp:" + d.name;
    keep.insert(key);
    const Device* old = before.findDevice(d.name);
    if (first || !old || !(*old == d) || !scheduler.contains(key))
      scheduler.add(key, d.poll_interval, now);
  }
  for (const auto& [key, interval] : scheduler.targets())
    if (key.rfind("snmp:", 0) == 0 && !keep.count(key)) scheduler.remove(key);
}

// --- the scheduler timer ------------------------------------------------------------------------

void Runtime::Impl::armSchedule() {
  if (stopping) return;
  auto due = scheduler.nextDue();
  if (!due) return;  // re-armed when reload adds targets
  const auto wait = *due - clock.now();
  schedule_timer.expires_after(wait > Duration::zero() ? clock.realFor(wait)
                                                       : SteadyClock::duration::zero());
  schedule_timer.async_wait([this](const boost::system::error_code& e) {
    if (!e) onSchedule();
  });
}

void Runtime::Impl::onSchedule() {
  const TimePoint now = clock.now();
  for (const auto& key : scheduler.popDue(now)) runJob(key, now);
  armSchedule();
}

void Runtime::Impl::runJob(const std::string& key, TimePoint now) {
  (void)now;
  log->trace("due: {}", key);
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

void Runtime::Impl::publishStatus(bool force) {
  const std::string status = statusLine(countStates(states));
  if (!force && status == last_status) return;
  last_status = status;
  notifier.status(status);
}

void Runtime::Impl::observe(const Observation& o) {
  ++observations;
  (void)o;
}

void Runtime::Impl::setState(const std::string& circuit, CircuitState s, TimePoint t,
                             const std::string& why) {
  auto it = states.find(circuit);
  if (it == states.end()) return;
  if (it->second == s) return;
  log->info("circuit {} {} -> {} at {}: {}", circuit, toString(it->second), toString(s),
            formatIso(t), why);
  it->second = s;
  publishStatus(false);
}

// --- signals ------------------------------------------------------------------------------------

void Runtime::Impl::onSignal(int sig) {
  switch (sig) {
    case SIGHUP:
      reload();
      break;
    case SIGUSR2: {
      log->warn("test hook: blocking the event loop for {} ms", options.test_block_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds{options.test_block_ms});
      log->warn("test hook: event loop unblocked");
      break;
    }
    default:
      beginStop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return;  // no re-arm: a second signal during the stop gets the default action
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

  applyInventory(cfg.inventory, next.inventory, false);
  for (const auto& k : diff.circuits_removed) states.erase(k);
  for (const auto& k : diff.circuits_added) states.emplace(k, CircuitState::Unknown);
  cfg = std::move(next);
  schedule_timer.cancel();
  armSchedule();
  log->info("reload applied: {}", diff.summary());
  const std::string status = statusLine(countStates(states));
  last_status = status;
  notifier.ready(status);
}

void Runtime::Impl::beginStop(const char* why) {
  if (stopping) return;
  stopping = true;
  log->info("{}: stopping", why);
  notifier.stopping(last_status);
  // Stop taking new work; whatever handler was writing has already returned (one thread), so
  // the remaining step is the final flush in finishStop().
  schedule_timer.cancel();
  tick_timer.cancel();
  watchdog_timer.cancel();
  status_timer.cancel();
  sampler_timer.cancel();
  run_for_timer.cancel();
  signals.cancel();
#if CIRCUITD_HAVE_ICMP
  if (icmp_prober) icmp_prober->stop();
#endif
  // Anything still pending after 4 s is abandoned so the whole stop stays inside systemd's
  // TimeoutStopSec and the 5 s promise.
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
  log->info("stopped: {}; {} observations handled", last_status, observations);
}

// ---------------------------------------------------------------------------------------------

Runtime::Runtime(config::Config cfg, RuntimeOptions options)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(options))) {}

Runtime::~Runtime() = default;

int Runtime::run() {
  if (!impl_->start()) return 1;
  if (impl_->stop_requested) impl_->beginStop("stop requested");
  impl_->io.run();
  return 0;
}

void Runtime::stop() {
  impl_->stop_requested = true;
  asio::post(impl_->io, [this] { impl_->beginStop("stop requested"); });
}

StateCounts Runtime::counts() const { return countStates(impl_->states); }

int run(config::Config cfg) {
  RuntimeOptions options;
  if (const char* h = std::getenv("CIRCUITD_TEST_HOOKS"); h && std::string(h) == "1")
    options.test_hooks = true;
  if (const char* b = std::getenv("CIRCUITD_TEST_BLOCK_MS")) options.test_block_ms = std::atoll(b);
  Runtime rt(std::move(cfg), std::move(options));
  return rt.run();
}

}  // namespace circuitd::runtime
