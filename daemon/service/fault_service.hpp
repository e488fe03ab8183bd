#pragma once
// FaultService: the one object the daemon (and circuitctl, and replay) talks to about faults.
// It runs engine events and people's actions through the fault lifecycle, writes every change
// together with its notification outbox rows in one durable transaction, and only then lets
// the outbox sender announce it. When the store cannot be written (full disk, read-only file,
// missing directory) monitoring goes on: changes queue in memory, the store_unavailable alarm
// is raised, and the queue is written, in order, as soon as the store takes writes again.
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/store.hpp"
#include "domain/core/decision.hpp"
#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"
#include "domain/faults/lifecycle.hpp"

namespace circuitd::service {

/// Settings of the fault service.
struct FaultServiceSettings {
  faults::LifecycleSettings lifecycle;
  std::vector<std::string> channels;  ///< channel names that get one outbox row per transition
  std::string customer;               ///< contract party A, shown in hotline reports
  bool snapshot_inventory = true;     ///< start() replaces the store's circuit snapshot
};

/// The store_unavailable condition, for the runtime's status and metrics.
struct StoreAlarm {
  bool unavailable = false;
  Error error;  ///< the last write/open error while unavailable
  std::size_t pending_batches = 0;
  std::optional<TimePoint> since;
};

/// Faults in, durable records and notifications out.
class FaultService {
 public:
  /// Opens (or re-opens) the store; called at start and on every retry while it is unavailable.
  using StoreOpener = std::function<Result<std::unique_ptr<store::Store>>()>;

  /// A service over the store that opener opens; nothing is read until start().
  FaultService(FaultServiceSettings settings, StoreOpener opener);

  /// Opens the store, loads open faults, records the inventory snapshot. On a store error the
  /// service still starts (faults kept in memory, alarm raised) and the error is returned.
  Result<void> start(const Inventory& inventory, TimePoint now);

  /// One engine event (time comes with it).
  void onEvent(const EngineEvent& e);
  /// Time passes: resolves faults whose hold-off expired; retries an unavailable store.
  void onTick(TimePoint now);

  /// A person acknowledges a fault.
  Result<faults::Fault> acknowledge(const std::string& id, const std::string& who, TimePoint t);
  /// A person enters the carrier's hotline ticket number.
  Result<faults::Fault> reportToCarrier(const std::string& id, const std::string& ticket,
                                        const std::string& who, TimePoint t);
  /// A person closes a resolved fault.
  Result<faults::Fault> close(const std::string& id, const std::string& who, TimePoint t,
                              const std::string& reason);
  /// A person adds a note (checked: something the customer side verified).
  Result<void> note(const std::string& id, const std::string& who, TimePoint t,
                    const std::string& text, bool checked);
  /// Writes a meta key with the next batch (or now).
  void setMeta(const std::string& key, const std::string& value);

  /// The lifecycle (in-memory truth, also while the store is unavailable).
  const faults::FaultLifecycle& lifecycle() const { return lifecycle_; }
  /// The open store, or nullptr while unavailable.
  store::Store* store() { return store_.get(); }
  /// The store_unavailable condition.
  const StoreAlarm& alarm() const { return alarm_; }
  /// Called after every successful commit (the runtime kicks the outbox sender).
  void onCommitted(std::function<void()> fn) { committed_ = std::move(fn); }
  /// Called when the store_unavailable alarm is raised (true) or cleared (false).
  void onAlarm(std::function<void(const StoreAlarm&)> fn) { alarm_fn_ = std::move(fn); }
  /// Event payloads of every active fault (as after its last transition), for re-sending firing
  /// alerts to Alertmanager, which expects active alerts to be repeated.
  std::vector<std::string> activeEvents() const;
  /// Number of transitions written so far (for metrics and tests).
  std::uint64_t transitionsWritten() const { return written_; }

 private:
  void persist(faults::Changes c, TimePoint t);
  bool flush(TimePoint t);
  bool ensureStore(TimePoint t);
  void raise(const Error& e, TimePoint t);
  store::Batch toBatch(faults::Changes c, TimePoint t);

  FaultServiceSettings settings_;
  StoreOpener opener_;
  std::unique_ptr<store::Store> store_;
  faults::FaultLifecycle lifecycle_;
  Inventory inventory_;
  std::deque<store::Batch> pending_;
  std::vector<std::pair<std::string, std::string>> meta_;
  StoreAlarm alarm_;
  bool loaded_ = false;  // faults were read from the store at some point
  std::function<void()> committed_;
  std::function<void(const StoreAlarm&)> alarm_fn_;
  std::uint64_t written_ = 0;
};

}  // namespace circuitd::service
