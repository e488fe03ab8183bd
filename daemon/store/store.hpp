#pragma once
// The store interface: faults, the append-only transition log, notes, acknowledgements,
// incidents, maintenance windows, per-circuit outage intervals and the notification outbox.
// SqliteStore implements it today; a PostgreSQL store can follow behind the same interface.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"
#include "domain/faults/fault.hpp"

namespace circuitd::store {

/// One notification waiting for (or done with) delivery on one channel.
struct OutboxRow {
  std::int64_t id = 0;  ///< assigned by the store
  std::string channel;  ///< channel name from the notifier configuration
  std::string key;      ///< idempotency key: "<fault_id>/<seq>"; unique per channel
  std::string fault_id;
  int seq = 0;
  std::string payload;  ///< channel-neutral event JSON (see docs/faults.md)
  TimePoint created;
  int attempts = 0;
  TimePoint next_attempt;  ///< not before this time
  std::optional<TimePoint> sent_at;
  std::string last_error;
};

/// What one transaction writes: the lifecycle's changes, their outbox rows and meta keys.
struct Batch {
  faults::Changes changes;
  std::vector<OutboxRow> outbox;
  std::vector<std::pair<std::string, std::string>> meta;
  /// True when there is nothing to write.
  bool empty() const { return changes.empty() && outbox.empty() && meta.empty(); }
};

/// Which faults to read.
enum class FaultFilter { All, NotClosed, Active };

/// Persistence for the fault service and circuitctl.
class Store {
 public:
  virtual ~Store() = default;

  /// Writes a batch atomically and durably: when it returns, the batch survives a crash.
  virtual Result<void> write(const Batch& b) = 0;

  /// Faults by filter, ordered by id.
  virtual Result<std::vector<faults::Fault>> faults(FaultFilter filter) = 0;
  /// One fault, nullopt when there is none with this id.
  virtual Result<std::optional<faults::Fault>> fault(const std::string& id) = 0;
  /// Transition log of one fault, or of all faults for "", in log order.
  virtual Result<std::vector<faults::Transition>> transitions(const std::string& fault_id) = 0;
  /// Notes of a fault, oldest first.
  virtual Result<std::vector<faults::Note>> notes(const std::string& fault_id) = 0;
  /// Acknowledgements of a fault, oldest first.
  virtual Result<std::vector<faults::Acknowledgement>> acknowledgements(
      const std::string& fault_id) = 0;
  /// Incidents; only unresolved ones when open_only.
  virtual Result<std::vector<faults::Incident>> incidents(bool open_only) = 0;
  /// Outage intervals overlapping [from, to), open ones included.
  virtual Result<std::vector<faults::OutageInterval>> intervals(TimePoint from, TimePoint to) = 0;
  /// Intervals that have not ended.
  virtual Result<std::vector<faults::OutageInterval>> openIntervals() = 0;

  /// Replaces the circuit snapshot and maintenance windows (so reports work from the file).
  virtual Result<void> putInventory(const Inventory& inv) = 0;
  /// The circuit snapshot.
  virtual Result<std::vector<Circuit>> circuits() = 0;
  /// Stored maintenance windows, by start.
  virtual Result<std::vector<MaintenanceWindow>> maintenance() = 0;

  /// Unsent outbox rows due at now, oldest first, at most limit.
  virtual Result<std::vector<OutboxRow>> dueOutbox(TimePoint now, int limit) = 0;
  /// Every outbox row (sent or not), by id; for tests and `circuitctl`.
  virtual Result<std::vector<OutboxRow>> outbox() = 0;
  /// Marks a row delivered.
  virtual Result<void> markSent(std::int64_t id, TimePoint t) = 0;
  /// Records a failed attempt and when to try again.
  virtual Result<void> markRetry(std::int64_t id, int attempts, TimePoint next,
                                 const std::string& error) = 0;
  /// Number of unsent rows.
  virtual Result<std::int64_t> pendingOutbox() = 0;

  /// A meta value (e.g. "customer", "channels"), nullopt when unset.
  virtual Result<std::optional<std::string>> meta(const std::string& key) = 0;
  /// Schema version of the open store.
  virtual Result<int> schemaVersion() = 0;
  /// Where the store lives, for messages.
  virtual std::string describe() const = 0;
};

}  // namespace circuitd::store
