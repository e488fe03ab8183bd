#include "daemon/service/fault_service.hpp"

#include "daemon/log/log.hpp"
#include "daemon/notify/payload.hpp"

namespace circuitd::service {

namespace {
constexpr const char* kRefreshActor = "refresh";
std::shared_ptr<spdlog::logger> logger() { return log::get("faults"); }
}  // namespace

FaultService::FaultService(FaultServiceSettings settings, StoreOpener opener)
    : settings_(std::move(settings)), opener_(std::move(opener)), lifecycle_(settings_.lifecycle) {}

Result<void> FaultService::start(const Inventory& inventory, TimePoint now) {
  inventory_ = inventory;
  if (!settings_.customer.empty()) meta_.emplace_back("customer", settings_.customer);
  std::string names;
  for (const auto& c : settings_.channels) names += (names.empty() ? "" : ",") + c;
  meta_.emplace_back("channels", names);
  if (!ensureStore(now)) return fail(alarm_.error);
  if (settings_.snapshot_inventory) {
    if (auto r = store_->putInventory(inventory); !r) {
      raise(r.error(), now);
      return r;
    }
  }
  flush(now);
  return {};
}

bool FaultService::ensureStore(TimePoint t) {
  if (store_) return true;
  auto s = opener_();
  if (!s) {
    raise(s.error(), t);
    return false;
  }
  std::unique_ptr<store::Store> st = std::move(*s);
  if (!loaded_) {
    auto fs = st->faults(store::FaultFilter::All);
    auto ivs =
        fs ? st->openIntervals() : Result<std::vector<faults::OutageInterval>>(fail(fs.error()));
    auto inc = ivs ? st->incidents(true) : Result<std::vector<faults::Incident>>(fail(ivs.error()));
    if (!inc) {
      raise(inc.error(), t);
      return false;
    }
    if (lifecycle_.maxId() > 0) {
      // Faults were opened in memory before the store could be read. If the file already holds
      // faults, their ids would collide: keep everything in memory and say so.
      std::int64_t stored_max = 0;
      for (const auto& f : *fs)
        if (auto n = faults::parseFaultId(f.id)) stored_max = std::max(stored_max, *n);
      if (stored_max > 0) {
        raise(Error{st->describe(), "the store already holds faults up to " +
                                        faults::faultId(stored_max) +
                                        " that were not loaded at start; restart circuitd to "
                                        "merge (faults since are kept in memory)"},
              t);
        return false;
      }
    } else {
      std::vector<faults::Fault> keep;
      for (auto& f : *fs)
        if (f.state != faults::FaultState::Closed || f.recovered_at) keep.push_back(std::move(f));
      std::int64_t max_id = 0;
      for (const auto& f : *fs)
        if (auto n = faults::parseFaultId(f.id)) max_id = std::max(max_id, *n);
      lifecycle_.restore(keep, *ivs, *inc, max_id);
      lifecycle_.prune(t);
    }
    loaded_ = true;
  }
  store_ = std::move(st);
  return true;
}

void FaultService::raise(const Error& e, TimePoint t) {
  const bool was = alarm_.unavailable;
  alarm_.unavailable = true;
  alarm_.error = e;
  alarm_.pending_batches = pending_.size();
  if (!was) {
    alarm_.since = t;
    // Logged once per change, not per failed write (STYLE: environment failures).
    logger()->error(
        "store_unavailable: {}; faults are kept in memory and written when the "
        "store is back",
        e.str());
    if (alarm_fn_) alarm_fn_(alarm_);
  }
}

store::Batch FaultService::toBatch(faults::Changes c, TimePoint t) {
  store::Batch b;
  for (const auto& tr : c.transitions) {
    const faults::Fault* f = lifecycle_.find(tr.fault_id);
    if (!f) continue;
    // The payload shows the fault as it was right after this transition.
    faults::Fault snap = *f;
    for (const auto& cf : c.faults)
      if (cf.id == tr.fault_id) snap = cf;
    snap.state = tr.to;
    const Circuit* circuit = inventory_.findCircuit(snap.circuit);
    const std::string payload = notify::eventPayload(snap, tr, circuit);
    for (const auto& ch : settings_.channels) {
      store::OutboxRow row;
      row.channel = ch;
      row.key = tr.key();
      row.fault_id = tr.fault_id;
      row.seq = tr.seq;
      row.payload = payload;
      row.created = t;
      row.next_attempt = t;
      b.outbox.push_back(std::move(row));
    }
  }
  b.changes = std::move(c);
  b.meta = std::move(meta_);
  meta_.clear();
  return b;
}

bool FaultService::flush(TimePoint t) {
  if (!ensureStore(t)) return false;
  if (!meta_.empty()) pending_.push_back(toBatch({}, t));
  bool wrote = false;
  while (!pending_.empty()) {
    if (auto r = store_->write(pending_.front()); !r) {
      raise(r.error(), t);
      return false;
    }
    written_ += pending_.front().changes.transitions.size();
    pending_.pop_front();
    wrote = true;
  }
  if (alarm_.unavailable) {
    alarm_.unavailable = false;
    alarm_.pending_batches = 0;
    logger()->info("store available again ({}); queued faults written", store_->describe());
    if (alarm_fn_) alarm_fn_(alarm_);
    alarm_.since.reset();
  }
  if (wrote && committed_) committed_();
  return true;
}

void FaultService::persist(faults::Changes c, TimePoint t) {
  if (c.empty() && meta_.empty()) return;
  pending_.push_back(toBatch(std::move(c), t));
  alarm_.pending_batches = pending_.size();
  flush(t);
}

void FaultService::onEvent(const EngineEvent& e) { persist(lifecycle_.apply(e), e.time); }

void FaultService::onTick(TimePoint now) {
  auto c = lifecycle_.tick(now);
  lifecycle_.prune(now);
  if (!c.empty())
    persist(std::move(c), now);
  else if (!pending_.empty() || !store_)
    flush(now);
}

Result<faults::Fault> FaultService::acknowledge(const std::string& id, const std::string& who,
                                                TimePoint t) {
  auto c = lifecycle_.acknowledge(id, who, t);
  if (!c) return fail(c.error());
  persist(std::move(*c), t);
  return *lifecycle_.find(id);
}

Result<faults::Fault> FaultService::reportToCarrier(const std::string& id,
                                                    const std::string& ticket,
                                                    const std::string& who, TimePoint t) {
  auto c = lifecycle_.reportToCarrier(id, ticket, who, t);
  if (!c) return fail(c.error());
  persist(std::move(*c), t);
  return *lifecycle_.find(id);
}

Result<faults::Fault> FaultService::close(const std::string& id, const std::string& who,
                                          TimePoint t, const std::string& reason) {
  auto c = lifecycle_.close(id, who, t, reason);
  if (!c) return fail(c.error());
  persist(std::move(*c), t);
  return *lifecycle_.find(id);
}

Result<void> FaultService::note(const std::string& id, const std::string& who, TimePoint t,
                                const std::string& text, bool checked) {
  auto c = lifecycle_.note(id, who, t, text, checked);
  if (!c) return fail(c.error());
  persist(std::move(*c), t);
  return {};
}

std::vector<std::string> FaultService::activeEvents() const {
  std::vector<std::string> out;
  for (const auto& f : lifecycle_.faults()) {
    if (!faults::isActive(f.state)) continue;
    faults::Transition t;
    t.fault_id = f.id;
    t.seq = f.transitions;
    t.time = f.last_change;
    t.actor = kRefreshActor;
    t.to = f.state;
    out.push_back(notify::eventPayload(f, t, inventory_.findCircuit(f.circuit)));
  }
  return out;
}

void FaultService::setMeta(const std::string& key, const std::string& value) {
  meta_.emplace_back(key, value);
}

}  // namespace circuitd::service
