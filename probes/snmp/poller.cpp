#include "probes/snmp/poller.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <random>

#include "probes/snmp/net_snmp.hpp"
#include "probes/snmp/poll_codec.hpp"
#include "probes/snmp/v2c_transport.hpp"

namespace circuitd::snmp {

namespace asio = boost::asio;
using detail::AsyncSession;
using detail::Reply;
using detail::V2cTransport;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Walk {
  Oid column;
  std::vector<ColumnRow>* rows = nullptr;
};

std::string joinNames(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& n : v) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

struct SnmpPoller::Impl : std::enable_shared_from_this<SnmpPoller::Impl>, V2cTransport::Listener {
  struct Dev;
  using DevPtr = std::shared_ptr<Dev>;

  /// One request with its retry state. A v2c GET (pdu >= 0) is one object per PDU of the
  /// device's plan, reused every round; other requests carry their net-snmp calls.
  struct Req {
    enum class State : std::uint8_t { Idle, Queued, InFlight };
    std::weak_ptr<Dev> dev;
    std::function<void(AsyncSession&, AsyncSession::Handler)> issue;
    std::function<void(Reply&&)> done;
    int attempt = 0;
    int pdu = -1;             ///< index into Dev::plan for a v2c GET
    std::uint64_t round = 0;  ///< Dev::round_no the GET belongs to
    State state = State::Idle;
    std::int32_t request_id = 0;  ///< while in flight on the v2c transport
  };
  using ReqPtr = std::shared_ptr<Req>;

  struct Round {
    SteadyClock::time_point started;
    bool rebooted = false;
    int repeats = 0;
    std::string error;
    bool auth_failure = false;
    PollDecode decode;
    std::size_t pending = 0;
    ResolutionTables tables;
    std::vector<std::function<void(const DevicePoll&)>> done;
  };

  struct Dev {
    explicit Dev(asio::io_context& io) : tick(io) {}
    PollTarget t;
    std::shared_ptr<AsyncSession> session;
    asio::steady_timer tick;
    SteadyClock::time_point next_tick;
    bool running = false;
    bool removed = false;
    bool need_resolve = true;
    std::optional<bool> hc_supported;
    std::vector<ResolvedInterface> resolved;
    std::vector<std::string> missing;
    std::vector<PduPlan> plan;
    bool plan_dirty = true;
    std::map<std::string, std::pair<std::int32_t, CounterSnapshot>> snaps;  // by name
    std::optional<CounterSnapshot> uptime;  // device-level sysUpTime history
    std::size_t in_flight = 0;
    Round round;
    std::uint64_t round_no = 0;
    // v2c GET hot path (numeric address): pre-encoded request per plan PDU.
    std::optional<detail::Peer> peer;
    std::vector<EncodedRequest> requests;
    std::vector<ReqPtr> get_reqs;
    std::vector<SampleBuild> builds;  ///< reused by finishPoll
  };

  Impl(asio::io_context& io_, const Clock& clock_, Sink sink_, PollerLimits limits_)
      : io(io_),
        clock(clock_),
        sink(std::move(sink_)),
        limits(limits_),
        rng(std::random_device{}()) {}

  asio::io_context& io;
  const Clock& clock;
  Sink sink;
  PollerLimits limits;
  PollerStats stats;
  RoundObserver observer;
  ResolutionObserver resolution_observer;
  std::map<std::string, DevPtr> devices;
  std::list<ReqPtr> queue;
  std::list<ReqPtr> spare;  ///< list nodes kept for reuse, so queueing does not allocate
  std::shared_ptr<V2cTransport> fast;
  PollerStats stats_base;  ///< transport counters of transports closed by stop()
  std::size_t total_in_flight = 0;
  bool started = false;
  std::mt19937_64 rng;

  // ---- request admission: caps per device and in total, retries with backoff ----

  void submit(const DevPtr& d, std::function<void(AsyncSession&, AsyncSession::Handler)> issue,
              std::function<void(Reply&&)> done) {
    auto r = std::make_shared<Req>();
    r->dev = d;
    r->issue = std::move(issue);
    r->done = std::move(done);
    r->round = d->round_no;
    enqueue(r, false);
    pump();
  }

  void enqueue(const ReqPtr& r, bool front) {
    r->state = Req::State::Queued;
    const auto at = front ? queue.begin() : queue.end();
    if (spare.empty()) {
      queue.insert(at, r);
    } else {
      queue.splice(at, spare, spare.begin());
      *std::prev(at) = r;
    }
    stats.queued_max = std::max<std::uint64_t>(stats.queued_max, queue.size());
  }

  std::list<ReqPtr>::iterator dequeue(std::list<ReqPtr>::iterator it) {
    auto next = std::next(it);
    it->reset();
    spare.splice(spare.begin(), queue, it);
    return next;
  }

  void pump() {
    for (auto it = queue.begin();
         it != queue.end() && total_in_flight < limits.max_in_flight_total;) {
      auto& r = *it;
      auto d = r->dev.lock();
      // A request left queued by a round that already ended (failed) is not sent.
      if (!d || d->removed || !d->running || r->round != d->round_no) {
        r->state = Req::State::Idle;
        it = dequeue(it);
        continue;
      }
      if (d->in_flight >= limits.max_in_flight_per_device) {
        ++it;
        continue;
      }
      auto req = r;
      it = dequeue(it);
      startRequest(d, req);
    }
    if (fast) fast->flush();
  }

  Duration attemptTimeout(const DevPtr& d, const Req& r) const {
    // Backoff: each retry waits twice as long as the attempt before it, up to a ceiling.
    auto timeout = d->t.timeout * (1LL << std::min(r.attempt, 16));
    return std::min<Duration>(timeout, limits.max_attempt_timeout);
  }

  void startRequest(const DevPtr& d, const ReqPtr& r) {
    ++d->in_flight;
    ++total_in_flight;
    ++stats.requests;
    stats.max_in_flight = std::max<std::uint64_t>(stats.max_in_flight, total_in_flight);
    r->state = Req::State::InFlight;
    const auto timeout = attemptTimeout(d, *r);
    if (r->pdu >= 0) {
      auto& req = d->requests[static_cast<std::size_t>(r->pdu)];
      r->request_id = fast->send(*d->peer, req, d->t.credentials.community, timeout,
                                 reinterpret_cast<std::uintptr_t>(r.get()));
      return;
    }
    d->session->setTimeout(timeout);
    std::weak_ptr<Impl> weak = weak_from_this();
    r->issue(*d->session, [weak, d, r](Reply&& rep) {
      auto self = weak.lock();
      if (!self) return;
      r->state = Req::State::Idle;
      --d->in_flight;
      --self->total_in_flight;
      if (rep.status == Reply::Status::Timeout) ++self->stats.timeouts;
      if (rep.status == Reply::Status::Timeout && r->attempt < d->t.retries && !d->removed) {
        ++r->attempt;
        ++self->stats.retries;
        self->enqueue(r, true);
        self->pump();
        return;
      }
      // A reply to a round that already ended (failed while this request was outstanding)
      // must not be applied to the round that followed it.
      if (!d->removed && d->running && r->round == d->round_no)
        r->done(std::move(rep));
      else if (!d->removed)
        ++self->stats.stale_replies;
      self->pump();
    });
  }

  // ---- one round: discover (v3) -> resolve (when needed) -> GET -> emit ----

  void beginRound(const DevPtr& d, std::function<void(const DevicePoll&)> done) {
    if (d->running) {
      if (done)
        d->round.done.push_back(std::move(done));
      else
        ++stats.overruns;
      return;
    }
    d->running = true;
    ++d->round_no;
    resetRound(d->round);
    d->round.started = SteadyClock::now();
    if (done) d->round.done.push_back(std::move(done));
    if (!d->session->ready()) {
      std::weak_ptr<Impl> weak = weak_from_this();
      submit(
          d, [](AsyncSession& s, AsyncSession::Handler h) { s.discover(std::move(h)); },
          [weak, d](Reply&& r) {
            auto self = weak.lock();
            if (!self) return;
            if (r.status != Reply::Status::Ok) return self->failRound(d, r);
            self->resolveOrPoll(d);
          });
      return;
    }
    resolveOrPoll(d);
  }

  /// Clears the round state, keeping the decode buffers of the previous round.
  static void resetRound(Round& r) {
    r.rebooted = false;
    r.repeats = 0;
    r.error.clear();
    r.auth_failure = false;
    r.pending = 0;
    r.tables = ResolutionTables{};
    r.done.clear();
  }

  void resolveOrPoll(const DevPtr& d) {
    if (d->need_resolve) return resolve(d);
    poll(d);
  }

  void resolve(const DevPtr& d) {
    ++stats.resolutions;
    auto& tables = d->round.tables;
    tables = ResolutionTables{};
    std::vector<Walk> walks{{nameColumn(d->t.name_source), &tables.names}};
    if (d->t.profile) {
      bool alias = false, names = false;
      for (const auto& m : d->t.profile->metrics) {
        alias |= m.index == MetricIndex::EntAliasMapping;
        names |= m.index == MetricIndex::EntPhysicalName;
      }
      if (alias) walks.push_back({oids::kEntAliasMappingIdentifier, &tables.ent_alias});
      if (names) walks.push_back({oids::kEntPhysicalName, &tables.ent_names});
    }
    d->round.pending = walks.size();
    for (const auto& w : walks) walkStep(d, w, w.column);
  }

  void walkStep(const DevPtr& d, Walk w, Oid cursor) {
    std::weak_ptr<Impl> weak = weak_from_this();
    const int reps = limits.bulk_repetitions;
    submit(
        d,
        [cursor, reps](AsyncSession& s, AsyncSession::Handler h) {
          s.getBulk(cursor, reps, std::move(h));
        },
        [weak, d, w, cursor](Reply&& r) {
          auto self = weak.lock();
          if (!self) return;
          if (!d->round.error.empty()) return;  // an earlier walk already failed the round
          if (r.status != Reply::Status::Ok) return self->failRound(d, r);
          if (r.errstat != 0) {
            r.error = "agent error-status " + std::to_string(r.errstat) + " walking " +
                      formatOid(w.column);
            r.status = Reply::Status::Error;
            return self->failRound(d, r);
          }
          bool finished = r.varbinds.empty();
          Oid last = cursor;
          for (auto& vb : r.varbinds) {
            if (vb.value.type == VarValue::Type::EndOfMibView || !oidInSubtree(vb.oid, w.column)) {
              finished = true;
              break;
            }
            // An agent that does not advance would loop forever (RFC 3416 4.2.3 requires
            // lexicographic progress).
            if (!std::lexicographical_compare(last.begin(), last.end(), vb.oid.begin(),
                                              vb.oid.end())) {
              finished = true;
              break;
            }
            last = vb.oid;
            ColumnRow row;
            row.index.assign(vb.oid.begin() + static_cast<std::ptrdiff_t>(w.column.size()),
                             vb.oid.end());
            row.value = std::move(vb.value);
            w.rows->push_back(std::move(row));
          }
          self->stats.varbinds += r.varbinds.size();
          if (!finished) return self->walkStep(d, w, last);
          if (--d->round.pending == 0) self->resolved(d);
        });
  }

  void resolved(const DevPtr& d) {
    auto res = resolveInterfaces(d->t.interfaces, d->round.tables, d->t.profile.get());
    // Resolutions are rare (start, reboot, index move); report only a changed mapping.
    const bool changed =
        !std::equal(d->resolved.begin(), d->resolved.end(), res.found.begin(), res.found.end(),
                    [](const ResolvedInterface& a, const ResolvedInterface& b) {
                      return a.name == b.name && a.if_index == b.if_index;
                    });
    d->resolved = std::move(res.found);
    if (changed && resolution_observer && !d->removed) {
      std::map<std::int32_t, std::string> names;
      for (const auto& ri : d->resolved) names.emplace(ri.if_index, ri.name);
      resolution_observer(d->t.device, names);
    }
    d->missing = std::move(res.missing);
    for (auto& a : res.ambiguous) d->missing.push_back(a + " (ambiguous)");
    // Keep a counter history only for an interface still at the same ifIndex.
    std::map<std::string, std::pair<std::int32_t, CounterSnapshot>> kept;
    for (const auto& ri : d->resolved)
      if (auto it = d->snaps.find(ri.name); it != d->snaps.end() && it->second.first == ri.if_index)
        kept.emplace(ri.name, it->second);
    d->snaps = std::move(kept);
    d->need_resolve = false;
    d->plan_dirty = true;
    d->round.tables = ResolutionTables{};
    poll(d);
  }

  void poll(const DevPtr& d) {
    if (d->plan_dirty) {
      PlanOptions opt;
      opt.name_source = d->t.name_source;
      opt.hc_supported = d->hc_supported;
      opt.max_varbinds = limits.max_varbinds_per_pdu;
      d->plan = buildPollPlan(d->resolved, d->t.profile.get(), opt);
      d->plan_dirty = false;
      if (d->peer) encodePlan(d);
    }
    const std::size_t n_metrics = d->t.profile ? d->t.profile->metrics.size() : 0;
    resetDecode(d->round.decode, d->resolved.size(), n_metrics);
    d->round.pending = d->plan.size();
    if (d->peer) {
      for (auto& r : d->get_reqs) {
        r->attempt = 0;
        r->round = d->round_no;
        if (r->state == Req::State::Idle) enqueue(r, false);
      }
      return pump();
    }
    std::weak_ptr<Impl> weak = weak_from_this();
    for (std::size_t i = 0; i < d->plan.size(); ++i) {
      submit(
          d,
          [d, i](AsyncSession& s, AsyncSession::Handler h) {
            s.get(d->plan[i].oids, std::move(h));
          },
          [weak, d, i](Reply&& r) {
            auto self = weak.lock();
            if (!self) return;
            if (!d->round.error.empty()) return;
            if (r.status != Reply::Status::Ok) return self->failRound(d, r);
            if (r.errstat != 0) {
              r.status = Reply::Status::Error;
              r.error = "agent error-status " + std::to_string(r.errstat) + " at varbind " +
                        std::to_string(r.errindex);
              return self->failRound(d, r);
            }
            self->stats.varbinds += r.varbinds.size();
            decodePdu(d->plan[i], r.varbinds, d->round.decode);
            if (--d->round.pending == 0) self->finishPoll(d);
          });
    }
  }

  /// v2c: each PDU of the plan encoded once, sent as is with a fresh request-id.
  void encodePlan(const DevPtr& d) {
    cancelGets(d);  // none is in flight between rounds; the transport must not keep their tags
    d->requests.clear();
    d->get_reqs.clear();  // objects still queued from an ended round are dropped by pump()
    for (std::size_t i = 0; i < d->plan.size(); ++i) {
      d->requests.push_back(encodeGetRequest(d->t.credentials.community, d->plan[i].oids));
      auto r = std::make_shared<Req>();
      r->dev = d;
      r->pdu = static_cast<int>(i);
      d->get_reqs.push_back(std::move(r));
    }
  }

  // ---- v2c transport outcomes ----

  static bool isCurrentGet(const Dev& d, const Req& r) {
    const auto i = static_cast<std::size_t>(r.pdu);
    return !d.removed && d.running && r.round == d.round_no && i < d.get_reqs.size() &&
           d.get_reqs[i].get() == &r;
  }

  /// The transport is done with the request behind `tag` (answered or timed out): it no longer
  /// counts as in flight. Its device, or null when the device is gone.
  DevPtr settle(Req& r) {
    r.state = Req::State::Idle;
    auto d = r.dev.lock();
    if (!d) return nullptr;
    --d->in_flight;
    --total_in_flight;
    return d;
  }

  void onResponse(std::uintptr_t tag, const ResponseView& view) override {
    auto* r = reinterpret_cast<Req*>(tag);
    auto d = settle(*r);
    if (!d) return;
    if (isCurrentGet(*d, *r) && d->round.error.empty())
      onGetReply(d, static_cast<std::size_t>(r->pdu), view);
    pump();
  }

  void onTimeout(std::uintptr_t tag) override {
    auto* r = reinterpret_cast<Req*>(tag);
    auto d = settle(*r);
    if (!d) return;
    ++stats.timeouts;
    const bool current = isCurrentGet(*d, *r);
    if (current && r->attempt < d->t.retries) {
      ++r->attempt;
      ++stats.retries;
      enqueue(d->get_reqs[static_cast<std::size_t>(r->pdu)], true);  // the owner of *r
    } else if (current) {
      Reply rep;
      rep.status = Reply::Status::Timeout;
      rep.error = "timeout";
      failRound(d, rep);
    }
    pump();
  }

  void onGetReply(const DevPtr& d, std::size_t pdu, const ResponseView& view) {
    if (view.error_status != 0) {
      Reply rep;
      rep.status = Reply::Status::Error;
      rep.error = "agent error-status " + std::to_string(view.error_status) + " at varbind " +
                  std::to_string(view.error_index);
      return failRound(d, rep);
    }
    stats.varbinds += view.varbind_count;
    decodeResponse(d->plan[pdu], view, d->round.decode, &d->requests[pdu]);
    if (--d->round.pending == 0) finishPoll(d);
  }

  /// Copies the transport's counters (they accumulate over transports after a stop()).
  void syncTransportStats() {
    if (!fast) return;
    stats.send_errors = stats_base.send_errors + fast->sendErrors();
    stats.read_wakeups = stats_base.read_wakeups + fast->readWakeups();
    stats.datagrams = stats_base.datagrams + fast->datagramsReceived();
  }

  /// Forgets the device's v2c GETs in flight (the round ended or the device went away).
  void cancelGets(const DevPtr& d) {
    if (!fast) return;
    for (auto& r : d->get_reqs) {
      if (r->state != Req::State::InFlight) continue;
      fast->cancel(r->request_id);
      r->state = Req::State::Idle;
      --d->in_flight;
      total_in_flight -= std::min<std::size_t>(total_in_flight, 1);
    }
  }

  void finishPoll(const DevPtr& d) {
    const TimePoint now = clock.now();
    auto& dec = d->round.decode;
    bool rebooted = false;
    if (dec.sys_uptime) {
      CounterSnapshot cur;
      cur.time = now;
      cur.sys_uptime = dec.sys_uptime;
      if (d->uptime) rebooted = agentRestarted(*d->uptime, cur);
      d->uptime = cur;
    }
    if (!d->hc_supported.has_value() && !d->resolved.empty()) {
      d->hc_supported = !dec.hc_missing;
      d->plan_dirty = true;
    }
    auto& builds = d->builds;
    builds.clear();
    bool moved = false;
    for (std::size_t i = 0; i < d->resolved.size(); ++i) {
      const auto& ri = d->resolved[i];
      const CounterSnapshot* prev = nullptr;
      if (auto it = d->snaps.find(ri.name); it != d->snaps.end()) prev = &it->second.second;
      std::optional<double> contracted;
      if (auto it = d->t.contracted_mbps.find(ri.name); it != d->t.contracted_mbps.end())
        contracted = it->second;
      builds.push_back(
          buildSample(d->t.device, ri, dec.ifaces[i], now, prev, d->t.profile.get(), contracted));
      moved |= builds.back().index_moved;
    }
    d->round.rebooted |= rebooted;
    if ((moved || rebooted) && d->round.repeats == 0) {
      // After a reboot or an index move the names are looked up again before anything is
      // emitted, so that a moved port never reports another port's counters.
      ++d->round.repeats;
      d->need_resolve = true;
      return resolve(d);
    }
    DevicePoll dp;
    dp.device = d->t.device;
    dp.time = now;
    dp.reachable = true;
    dp.sys_uptime = dec.sys_uptime;
    dp.rebooted = d->round.rebooted;
    if (!d->missing.empty()) dp.error = "no such interface: " + joinNames(d->missing);
    if (!dec.problems.empty() && dp.error.empty())
      dp.error = "malformed reply: " + dec.problems.front();
    sink(dp);
    for (auto& b : builds) {
      if (b.index_moved) {
        d->need_resolve = true;
        d->snaps.erase(b.sample.if_name);
        continue;
      }
      d->snaps[b.sample.if_name] = {b.sample.if_index, b.snapshot};
      sink(std::move(b.sample));
    }
    endRound(d, dp);
  }

  void failRound(const DevPtr& d, const Reply& r) {
    if (!d->round.error.empty()) return;
    d->round.error = r.error.empty() ? "error" : r.error;
    DevicePoll dp;
    dp.device = d->t.device;
    dp.time = clock.now();
    dp.reachable = false;
    if (r.status == Reply::Status::Timeout) {
      dp.error = "timeout";
    } else if (r.status == Reply::Status::AuthFailure) {
      ++stats.auth_failures;
      dp.error = "authentication failure";
    } else {
      dp.error = d->round.error;
    }
    sink(dp);
    endRound(d, dp);
  }

  void endRound(const DevPtr& d, const DevicePoll& dp) {
    d->running = false;
    if (d->peer) cancelGets(d);
    ++stats.rounds;
    if (observer)
      observer(d->t.device, std::chrono::duration_cast<std::chrono::microseconds>(
                                SteadyClock::now() - d->round.started));
    auto done = std::move(d->round.done);
    d->round.done.clear();
    for (auto& f : done) f(dp);
  }

  // ---- schedule ----

  /// The first grid point at or after `t`: rounds due within one grid slot start together, so
  /// that one timer wake-up and one sendmmsg serve all of them.
  /// No grid for an interval not longer than it (a round would then slip into the next one).
  SteadyClock::time_point onGrid(SteadyClock::time_point t, Duration interval) const {
    const auto g = std::chrono::duration_cast<SteadyClock::duration>(limits.start_grid);
    if (g.count() <= 0 || limits.start_grid >= interval) return t;
    const auto since = t.time_since_epoch();
    const auto up = ((since + g - SteadyClock::duration{1}) / g) * g;
    return SteadyClock::time_point(up);
  }

  void schedule(const DevPtr& d, SteadyClock::time_point at) {
    d->next_tick = at;
    d->tick.expires_at(onGrid(at, d->t.interval));
    std::weak_ptr<Impl> weak = weak_from_this();
    d->tick.async_wait([weak, d](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || d->removed) return;
      self->beginRound(d, nullptr);
      // Fixed rate: the next round is one interval after this one was due, not after it ended.
      auto next = d->next_tick + d->t.interval;
      const auto now = SteadyClock::now();
      while (next <= now) {
        next += d->t.interval;
        ++self->stats.overruns;
      }
      self->schedule(d, next);
    });
  }

  void startDevice(const DevPtr& d) {
    Duration offset{0};
    if (limits.spread_start && d->t.interval.count() > 0) {
      std::uniform_int_distribution<std::int64_t> dist(0, d->t.interval.count() - 1);
      offset = Duration{dist(rng)};
    }
    schedule(d, SteadyClock::now() + offset);
  }
};

SnmpPoller::SnmpPoller(asio::io_context& io, const Clock& clock, Sink sink, PollerLimits limits)
    : impl_(std::make_shared<Impl>(io, clock, std::move(sink), limits)) {}

SnmpPoller::~SnmpPoller() { stop(); }

Result<void> SnmpPoller::addDevice(PollTarget t) {
  if (t.device.empty()) return fail("device", "name is empty");
  const std::string where = "device " + t.device;
  if (impl_->devices.count(t.device)) return fail(where, "already added");
  if (t.address.empty()) return fail(where + ".address", "is empty");
  if (t.interval.count() <= 0) return fail(where + ".poll_interval", "must be positive");
  if (t.timeout.count() <= 0) return fail(where + ".timeout", "must be positive");
  if (t.retries < 0) return fail(where + ".retries", "must not be negative");
  auto session = AsyncSession::open(impl_->io, t.address, t.port, t.credentials, t.timeout);
  if (!session) return fail(where + "." + session.error().where, session.error().what);
  auto d = std::make_shared<Impl::Dev>(impl_->io);
  if (t.credentials.version == SnmpCredentials::Version::V2c) {
    // GETs to an IP literal take the pre-encoded path; a host name stays with net-snmp,
    // which resolved it when the session was opened.
    if (auto peer = detail::numericPeer(t.address, t.port)) {
      if (!impl_->fast)
        impl_->fast = std::make_shared<V2cTransport>(impl_->io, *impl_, impl_->stats.dropped);
      if (auto r = impl_->fast->openFor(*peer); !r)
        return fail(where + ".address", r.error().str());
      d->peer = *peer;
    }
  }
  d->t = std::move(t);
  d->session = std::move(*session);
  impl_->devices.emplace(d->t.device, d);
  if (impl_->started) impl_->startDevice(d);
  return {};
}

void SnmpPoller::removeDevice(const std::string& device) {
  auto it = impl_->devices.find(device);
  if (it == impl_->devices.end()) return;
  auto d = it->second;
  d->removed = true;
  d->tick.cancel();
  if (d->peer) impl_->cancelGets(d);
  d->session->close();
  impl_->total_in_flight -= std::min(impl_->total_in_flight, d->in_flight);
  impl_->devices.erase(it);
  impl_->pump();
}

void SnmpPoller::start() {
  impl_->started = true;
  for (auto& [name, d] : impl_->devices) impl_->startDevice(d);
}

void SnmpPoller::stop() {
  impl_->started = false;
  for (auto& [name, d] : impl_->devices) {
    d->removed = true;
    d->tick.cancel();
    d->session->close();
  }
  impl_->devices.clear();
  impl_->queue.clear();
  impl_->total_in_flight = 0;
  if (impl_->fast) {
    impl_->syncTransportStats();
    impl_->stats_base = impl_->stats;
    impl_->fast->close();
    impl_->fast.reset();
  }
}

void SnmpPoller::pollNow(const std::string& device, std::function<void(const DevicePoll&)> done) {
  auto it = impl_->devices.find(device);
  if (it == impl_->devices.end()) {
    DevicePoll dp;
    dp.device = device;
    dp.time = impl_->clock.now();
    dp.error = "unknown device";
    if (done) asio::post(impl_->io, [done, dp] { done(dp); });
    return;
  }
  impl_->beginRound(it->second, std::move(done));
}

std::vector<std::string> SnmpPoller::missingInterfaces(const std::string& device) const {
  auto it = impl_->devices.find(device);
  if (it == impl_->devices.end()) return {};
  return it->second->missing;
}

const PollerStats& SnmpPoller::stats() const {
  impl_->syncTransportStats();
  return impl_->stats;
}

void SnmpPoller::setRoundObserver(RoundObserver obs) { impl_->observer = std::move(obs); }

void SnmpPoller::setResolutionObserver(ResolutionObserver obs) {
  impl_->resolution_observer = std::move(obs);
}

}  // namespace circuitd::snmp
