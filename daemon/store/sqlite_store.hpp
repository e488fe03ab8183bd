#pragma once
// SqliteStore: the Store on one SQLite file through the C API. WAL journal, synchronous=FULL
// (a state change is on disk before anyone is told about it), a busy timeout so circuitctl and
// the daemon can share the file, and schema migrations recorded in a schema_version table.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace circuitd::store {

/// Options for opening a store file.
struct SqliteOptions {
  bool create = true;          ///< create the file when missing (false: error)
  int busy_timeout_ms = 5000;  ///< wait this long for another writer
};

/// The schema, one entry per version: migration i takes the file from version i to i + 1.
const std::vector<std::string>& sqliteMigrations();
/// The schema version this build writes.
int sqliteSchemaVersion();

/// The Store on SQLite.
class SqliteStore final : public Store {
 public:
  /// Opens (and migrates) the store at path; the error names the file and what failed.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const SqliteOptions& opt = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<void> write(const Batch& b) override;
  Result<std::vector<faults::Fault>> faults(FaultFilter filter) override;
  Result<std::optional<faults::Fault>> fault(const std::string& id) override;
  Result<std::vector<faults::Transition>> transitions(const std::string& fault_id) override;
  Result<std::vector<faults::Note>> notes(const std::string& fault_id) override;
  Result<std::vector<faults::Acknowledgement>> acknowledgements(
      const std::string& fault_id) override;
  Result<std::vector<faults::Incident>> incidents(bool open_only) override;
  Result<std::vector<faults::OutageInterval>> intervals(TimePoint from, TimePoint to) override;
  Result<std::vector<faults::OutageInterval>> openIntervals() override;
  Result<void> putInventory(const Inventory& inv) override;
  Result<std::vector<Circuit>> circuits() override;
  Result<std::vector<MaintenanceWindow>> maintenance() override;
  Result<std::vector<OutboxRow>> dueOutbox(TimePoint now, int limit) override;
  Result<std::vector<OutboxRow>> outbox() override;
  Result<void> markSent(std::int64_t id, TimePoint t) override;
  Result<void> markRetry(std::int64_t id, int attempts, TimePoint next,
                         const std::string& error) override;
  Result<std::int64_t> pendingOutbox() override;
  Result<std::optional<std::string>> meta(const std::string& key) override;
  Result<int> schemaVersion() override;
  std::string describe() const override { return path_; }

 private:
  class Stmt;
  SqliteStore(sqlite3* db, std::string path);
  Result<void> migrate();
  Result<void> exec(const std::string& sql);
  Unexpected error(const std::string& what) const;
  sqlite3_stmt* prepare(const std::string& sql, std::string& err);
  Result<std::vector<faults::Fault>> queryFaults(const std::string& where);
  Result<std::vector<faults::OutageInterval>> queryIntervals(const std::string& where,
                                                             std::int64_t a, std::int64_t b);

  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, sqlite3_stmt*> stmts_;
};

}  // namespace circuitd::store
