#include "daemon/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <cstring>

#include "domain/faults/json.hpp"

namespace circuitd::store {

using faults::Fault;
using faults::FaultState;

namespace {

// v1: faults, the transition log, notes, acknowledgements, incidents, maintenance windows,
// outage intervals and the outbox. v2: fault occurrence/downtime counters and the circuit
// snapshot that lets `circuitctl report` work from the file alone.
const std::vector<std::string> kMigrations = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE incidents(id TEXT PRIMARY KEY, root_cause TEXT NOT NULL, opened_ms INTEGER NOT NULL,
  resolved_ms INTEGER, circuits TEXT NOT NULL, decision TEXT NOT NULL);
CREATE TABLE faults(id TEXT PRIMARY KEY, circuit TEXT NOT NULL, cause TEXT NOT NULL,
  incident TEXT NOT NULL, root_cause TEXT NOT NULL, state TEXT NOT NULL,
  circuit_state TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_change_ms INTEGER NOT NULL,
  down_since_ms INTEGER, recovered_ms INTEGER, resolved_ms INTEGER, closed_ms INTEGER,
  acked_by TEXT NOT NULL, acked_ms INTEGER, ticket TEXT NOT NULL, reported_by TEXT NOT NULL,
  reported_ms INTEGER, closed_by TEXT NOT NULL, transitions INTEGER NOT NULL,
  decision TEXT NOT NULL);
CREATE INDEX faults_by_circuit ON faults(circuit, cause);
CREATE INDEX faults_by_state ON faults(state);
CREATE TABLE transitions(id INTEGER PRIMARY KEY AUTOINCREMENT, fault_id TEXT NOT NULL,
  seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, actor TEXT NOT NULL, from_state TEXT,
  to_state TEXT NOT NULL, detail TEXT NOT NULL, UNIQUE(fault_id, seq));
CREATE TRIGGER transitions_no_update BEFORE UPDATE ON transitions
  BEGIN SELECT RAISE(ABORT, 'the transition log is append-only'); END;
CREATE TRIGGER transitions_no_delete BEFORE DELETE ON transitions
  BEGIN SELECT RAISE(ABORT, 'the transition log is append-only'); END;
CREATE TABLE notes(id INTEGER PRIMARY KEY AUTOINCREMENT, fault_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL, checked INTEGER NOT NULL);
CREATE TABLE acknowledgements(id INTEGER PRIMARY KEY AUTOINCREMENT, fault_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL, who TEXT NOT NULL);
CREATE TABLE maintenance_windows(id TEXT PRIMARY KEY, start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL, notified_ms INTEGER, circuits TEXT NOT NULL, devices TEXT NOT NULL,
  force_majeure INTEGER NOT NULL, reference TEXT NOT NULL);
CREATE TABLE outage_intervals(circuit TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER,
  fault_id TEXT NOT NULL, party TEXT NOT NULL, location TEXT NOT NULL, clause TEXT NOT NULL,
  maintenance INTEGER NOT NULL, force_majeure INTEGER NOT NULL, PRIMARY KEY(circuit, start_ms));
CREATE TABLE outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL,
  key TEXT NOT NULL, fault_id TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL,
  created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL, sent_ms INTEGER, last_error TEXT NOT NULL DEFAULT '',
  UNIQUE(channel, key));
CREATE INDEX outbox_pending ON outbox(sent_ms, next_attempt_ms);
)sql",
    R"sql(
ALTER TABLE faults ADD COLUMN occurrences INTEGER NOT NULL DEFAULT 1;
ALTER TABLE faults ADD COLUMN down_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE circuits(key TEXT PRIMARY KEY, data TEXT NOT NULL);
)sql",
};

std::optional<std::int64_t> toMs(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return toUnixMs(*t);
}

}  // namespace

const std::vector<std::string>& sqliteMigrations() { return kMigrations; }
int sqliteSchemaVersion() { return static_cast<int>(kMigrations.size()); }

// A cached prepared statement, reset on scope exit so the next user starts clean.
class SqliteStore::Stmt {
 public:
  Stmt(SqliteStore& s, const std::string& sql) : store_(s) { st_ = s.prepare(sql, err_); }
  ~Stmt() {
    if (st_) {
      sqlite3_reset(st_);
      sqlite3_clear_bindings(st_);
    }
  }
  bool ok() const { return st_ != nullptr; }
  const std::string& err() const { return err_; }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
  Stmt& bind(int i, std::string_view v) { return bind(i, std::string(v)); }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  Stmt& bind(int i, const std::optional<std::int64_t>& v) {
    if (v)
      sqlite3_bind_int64(st_, i, *v);
    else
      sqlite3_bind_null(st_, i);
    return *this;
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(st_); }
  std::string text(int c) const {
    auto p = sqlite3_column_text(st_, c);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(st_, c)))
             : std::string();
  }
  std::int64_t i64(int c) const { return sqlite3_column_int64(st_, c); }
  std::optional<std::int64_t> opt(int c) const {
    if (sqlite3_column_type(st_, c) == SQLITE_NULL) return std::nullopt;
    return i64(c);
  }
  std::optional<TimePoint> optTime(int c) const {
    auto v = opt(c);
    if (!v) return std::nullopt;
    return fromUnixMs(*v);
  }

 private:
  SqliteStore& store_;
  sqlite3_stmt* st_ = nullptr;
  std::string err_;
};

SqliteStore::SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

SqliteStore::~SqliteStore() {
  for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

Unexpected SqliteStore::error(const std::string& what) const {
  return fail(path_, what + ": " + sqlite3_errmsg(db_) + " (sqlite error " +
                         std::to_string(sqlite3_extended_errcode(db_)) + ")");
}

sqlite3_stmt* SqliteStore::prepare(const std::string& sql, std::string& err) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
      SQLITE_OK) {
    err = sqlite3_errmsg(db_);
    return nullptr;
  }
  stmts_[sql] = st;
  return st;
}

Result<void> SqliteStore::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return fail(path_, m + " (sqlite error " + std::to_string(sqlite3_extended_errcode(db_)) + ")");
  }
  return {};
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       const SqliteOptions& opt) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (opt.create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    // SQLite's "unable to open database file" hides the reason; the OS error names it.
    if (db && sqlite3_system_errno(db) != 0)
      m += " (" + std::string(std::strerror(sqlite3_system_errno(db))) + ")";
    sqlite3_close_v2(db);
    return fail(path, "cannot open the store: " + m);
  }
  std::unique_ptr<SqliteStore> s(new SqliteStore(db, path));
  sqlite3_busy_timeout(db, opt.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  // WAL lets circuitctl read while the daemon writes; FULL syncs the WAL at every commit, so a
  // committed transition is on disk before its notification can leave.
  {
    Stmt st(*s, "PRAGMA journal_mode=WAL");
    if (!st.ok()) return fail(path, "cannot open the store: " + st.err());
    const int r = st.step();
    if (r != SQLITE_ROW) return s->error("cannot switch to WAL");
    if (st.text(0) != "wal")
      return fail(path, "cannot switch to WAL (journal mode " + st.text(0) + ")");
  }
  if (auto r = s->exec("PRAGMA synchronous=FULL"); !r)
    return r.error().str().empty() ? fail(path, "pragma") : Unexpected{r.error()};
  if (auto r = s->migrate(); !r) return Unexpected{r.error()};
  return s;
}

Result<void> SqliteStore::migrate() {
  if (auto r = exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, "
                    "applied_ms INTEGER NOT NULL)");
      !r)
    return fail(path_, "cannot create the schema_version table: " + r.error().what);
  auto v = schemaVersion();
  if (!v) return Unexpected{v.error()};
  if (*v > sqliteSchemaVersion())
    return fail(path_, "store schema version " + std::to_string(*v) +
                           " is newer than this build understands (" +
                           std::to_string(sqliteSchemaVersion()) + ")");
  for (int i = *v; i < sqliteSchemaVersion(); ++i) {
    if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
    auto r = exec(kMigrations[static_cast<std::size_t>(i)]);
    if (r) {
      Stmt st(*this,
              "INSERT INTO schema_version(version, applied_ms) VALUES(?, "
              "CAST(strftime('%s','now') AS INTEGER) * 1000)");
      st.bind(1, i + 1);
      if (st.step() != SQLITE_DONE) r = error("cannot record the schema version");
    }
    if (!r) {
      exec("ROLLBACK");
      return fail(path_, "migration to schema version " + std::to_string(i + 1) +
                             " failed: " + r.error().what);
    }
    if (auto c = exec("COMMIT"); !c) return c;
  }
  return {};
}

Result<int> SqliteStore::schemaVersion() {
  Stmt st(*this, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!st.ok()) return fail(path_, st.err());
  if (st.step() != SQLITE_ROW) return error("cannot read the schema version");
  return static_cast<int>(st.i64(0));
}

Result<void> SqliteStore::write(const Batch& b) {
  if (b.empty()) return {};
  if (auto r = exec("BEGIN IMMEDIATE"); !r) return fail(path_, "cannot begin: " + r.error().what);
  auto body = [&]() -> Result<void> {
    for (const Fault& f : b.changes.faults) {
      Stmt st(*this,
              "INSERT INTO faults(id, circuit, cause, incident, root_cause, state, circuit_state,"
              " first_seen_ms, last_change_ms, down_since_ms, recovered_ms, resolved_ms,"
              " closed_ms, acked_by, acked_ms, ticket, reported_by, reported_ms, closed_by,"
              " transitions, decision, occurrences, down_ms)"
              " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,"
              "?21,?22,?23)"
              " ON CONFLICT(id) DO UPDATE SET incident=?4, root_cause=?5, state=?6,"
              " circuit_state=?7, last_change_ms=?9, down_since_ms=?10, recovered_ms=?11,"
              " resolved_ms=?12, closed_ms=?13, acked_by=?14, acked_ms=?15, ticket=?16,"
              " reported_by=?17, reported_ms=?18, closed_by=?19, transitions=?20, decision=?21,"
              " occurrences=?22, down_ms=?23");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, f.id)
          .bind(2, f.circuit)
          .bind(3, f.cause)
          .bind(4, f.incident)
          .bind(5, f.root_cause)
          .bind(6, faults::toString(f.state))
          .bind(7, toString(f.circuit_state))
          .bind(8, toUnixMs(f.first_seen))
          .bind(9, toUnixMs(f.last_change))
          .bind(10, toMs(f.down_since))
          .bind(11, toMs(f.recovered_at))
          .bind(12, toMs(f.resolved_at))
          .bind(13, toMs(f.closed_at))
          .bind(14, f.acked_by)
          .bind(15, toMs(f.acked_at))
          .bind(16, f.ticket)
          .bind(17, f.reported_by)
          .bind(18, toMs(f.reported_at))
          .bind(19, f.closed_by)
          .bind(20, f.transitions)
          .bind(21, faults::decisionToJson(f.decision))
          .bind(22, f.occurrences)
          .bind(23, f.down_ms);
      if (st.step() != SQLITE_DONE) return error("cannot write fault " + f.id);
    }
    for (const auto& t : b.changes.transitions) {
      Stmt st(*this,
              "INSERT INTO transitions(fault_id, seq, time_ms, actor, from_state, to_state,"
              " detail) VALUES(?,?,?,?,?,?,?)");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, t.fault_id).bind(2, t.seq).bind(3, toUnixMs(t.time)).bind(4, t.actor);
      if (t.from)
        st.bind(5, faults::toString(*t.from));
      else
        st.bind(5, std::optional<std::int64_t>{});
      st.bind(6, faults::toString(t.to)).bind(7, t.detail);
      if (st.step() != SQLITE_DONE) return error("cannot log transition " + t.key());
    }
    for (const auto& n : b.changes.notes) {
      Stmt st(*this,
              "INSERT INTO notes(fault_id, time_ms, author, text, checked) VALUES(?,?,?,?,?)");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, n.fault_id)
          .bind(2, toUnixMs(n.time))
          .bind(3, n.author)
          .bind(4, n.text)
          .bind(5, n.checked);
      if (st.step() != SQLITE_DONE) return error("cannot write a note on " + n.fault_id);
    }
    for (const auto& a : b.changes.acks) {
      Stmt st(*this, "INSERT INTO acknowledgements(fault_id, time_ms, who) VALUES(?,?,?)");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, a.fault_id).bind(2, toUnixMs(a.time)).bind(3, a.who);
      if (st.step() != SQLITE_DONE) return error("cannot write an acknowledgement");
    }
    for (const auto& i : b.changes.incidents) {
      Stmt st(*this,
              "INSERT INTO incidents(id, root_cause, opened_ms, resolved_ms, circuits, decision)"
              " VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(id) DO UPDATE SET root_cause=?2,"
              " resolved_ms=?4, circuits=?5, decision=?6");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, i.id)
          .bind(2, i.root_cause)
          .bind(3, toUnixMs(i.opened_at))
          .bind(4, toMs(i.resolved_at))
          .bind(5, faults::stringsToJson(i.circuits))
          .bind(6, faults::decisionToJson(i.decision));
      if (st.step() != SQLITE_DONE) return error("cannot write incident " + i.id);
    }
    for (const auto& iv : b.changes.intervals) {
      Stmt st(*this,
              "INSERT INTO outage_intervals(circuit, start_ms, end_ms, fault_id, party, location,"
              " clause, maintenance, force_majeure) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"
              " ON CONFLICT(circuit, start_ms) DO UPDATE SET end_ms=?3, fault_id=?4, party=?5,"
              " location=?6, clause=?7, maintenance=?8, force_majeure=?9");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, iv.circuit)
          .bind(2, toUnixMs(iv.start))
          .bind(3, toMs(iv.end))
          .bind(4, iv.fault_id)
          .bind(5, toString(iv.party))
          .bind(6, toString(iv.location))
          .bind(7, iv.clause)
          .bind(8, iv.maintenance)
          .bind(9, iv.force_majeure);
      if (st.step() != SQLITE_DONE)
        return error("cannot write an outage interval of " + iv.circuit);
    }
    for (const auto& o : b.outbox) {
      // One row per (channel, transition): a replayed batch cannot queue a second copy.
      Stmt st(*this,
              "INSERT OR IGNORE INTO outbox(channel, key, fault_id, seq, payload, created_ms,"
              " attempts, next_attempt_ms) VALUES(?,?,?,?,?,?,0,?)");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, o.channel)
          .bind(2, o.key)
          .bind(3, o.fault_id)
          .bind(4, o.seq)
          .bind(5, o.payload)
          .bind(6, toUnixMs(o.created))
          .bind(7, toUnixMs(o.next_attempt));
      if (st.step() != SQLITE_DONE) return error("cannot queue notification " + o.key);
    }
    for (const auto& [k, v] : b.meta) {
      Stmt st(
          *this,
          "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value=?2");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, k).bind(2, v);
      if (st.step() != SQLITE_DONE) return error("cannot write meta " + k);
    }
    return {};
  };
  auto r = body();
  if (r) {
    if (auto c = exec("COMMIT"); !c)
      r = fail(path_, "cannot commit: " + c.error().what);
    else
      return {};
  }
  // A failed statement or commit (disk full, read-only file) must leave nothing half-written.
  if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK");
  return r;
}

Result<std::vector<Fault>> SqliteStore::queryFaults(const std::string& where) {
  Stmt st(*this,
          "SELECT id, circuit, cause, incident, root_cause, state, circuit_state, first_seen_ms,"
          " last_change_ms, down_since_ms, recovered_ms, resolved_ms, closed_ms, acked_by,"
          " acked_ms, ticket, reported_by, reported_ms, closed_by, transitions, decision,"
          " occurrences, down_ms FROM faults " +
              where + " ORDER BY id");
  if (!st.ok()) return fail(path_, st.err());
  std::vector<Fault> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    Fault f;
    f.id = st.text(0);
    f.circuit = st.text(1);
    f.cause = st.text(2);
    f.incident = st.text(3);
    f.root_cause = st.text(4);
    auto fs = faults::parseFaultState(st.text(5));
    if (!fs) return fail(path_ + " faults[" + f.id + "].state", "unknown state " + st.text(5));
    f.state = *fs;
    f.circuit_state = parseCircuitState(st.text(6)).value_or(CircuitState::Down);
    f.first_seen = fromUnixMs(st.i64(7));
    f.last_change = fromUnixMs(st.i64(8));
    f.down_since = st.optTime(9);
    f.recovered_at = st.optTime(10);
    f.resolved_at = st.optTime(11);
    f.closed_at = st.optTime(12);
    f.acked_by = st.text(13);
    f.acked_at = st.optTime(14);
    f.ticket = st.text(15);
    f.reported_by = st.text(16);
    f.reported_at = st.optTime(17);
    f.closed_by = st.text(18);
    f.transitions = static_cast<int>(st.i64(19));
    auto d = faults::decisionFromJson(st.text(20));
    if (!d) return fail(path_ + " faults[" + f.id + "]." + d.error().where, d.error().what);
    f.decision = std::move(*d);
    f.occurrences = static_cast<int>(st.i64(21));
    f.down_ms = st.i64(22);
    out.push_back(std::move(f));
  }
  if (rc != SQLITE_DONE) return error("cannot read faults");
  return out;
}

Result<std::vector<Fault>> SqliteStore::faults(FaultFilter filter) {
  switch (filter) {
    case FaultFilter::All:
      return queryFaults("");
    case FaultFilter::NotClosed:
      return queryFaults("WHERE state <> 'closed'");
    case FaultFilter::Active:
      return queryFaults("WHERE state IN ('open','acknowledged','reported')");
  }
  return queryFaults("");
}

Result<std::optional<Fault>> SqliteStore::fault(const std::string& id) {
  // The id is quoted by SQLite's own printf so that no caller text reaches the SQL unescaped.
  char* where = sqlite3_mprintf("WHERE id = %Q", id.c_str());
  auto r = queryFaults(where);
  sqlite3_free(where);
  if (!r) return Unexpected{r.error()};
  if (r->empty()) return std::optional<Fault>{};
  return std::optional<Fault>{r->front()};
}

Result<std::vector<faults::Transition>> SqliteStore::transitions(const std::string& fault_id) {
  Stmt st(*this,
          "SELECT fault_id, seq, time_ms, actor, from_state, to_state, detail FROM transitions"
          " WHERE ?1 = '' OR fault_id = ?1 ORDER BY id");
  if (!st.ok()) return fail(path_, st.err());
  st.bind(1, fault_id);
  std::vector<faults::Transition> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    faults::Transition t;
    t.fault_id = st.text(0);
    t.seq = static_cast<int>(st.i64(1));
    t.time = fromUnixMs(st.i64(2));
    t.actor = st.text(3);
    if (auto f = st.opt(4); f || !st.text(4).empty()) t.from = faults::parseFaultState(st.text(4));
    t.to = faults::parseFaultState(st.text(5)).value_or(FaultState::Open);
    t.detail = st.text(6);
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) return error("cannot read transitions");
  return out;
}

Result<std::vector<faults::Note>> SqliteStore::notes(const std::string& fault_id) {
  Stmt st(
      *this,
      "SELECT fault_id, time_ms, author, text, checked FROM notes WHERE fault_id = ? ORDER BY id");
  if (!st.ok()) return fail(path_, st.err());
  st.bind(1, fault_id);
  std::vector<faults::Note> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    out.push_back(
        faults::Note{st.text(0), fromUnixMs(st.i64(1)), st.text(2), st.text(3), st.i64(4) != 0});
  if (rc != SQLITE_DONE) return error("cannot read notes");
  return out;
}

Result<std::vector<faults::Acknowledgement>> SqliteStore::acknowledgements(
    const std::string& fault_id) {
  Stmt st(*this,
          "SELECT fault_id, time_ms, who FROM acknowledgements WHERE fault_id = ? ORDER BY id");
  if (!st.ok()) return fail(path_, st.err());
  st.bind(1, fault_id);
  std::vector<faults::Acknowledgement> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    out.push_back(faults::Acknowledgement{st.text(0), fromUnixMs(st.i64(1)), st.text(2)});
  if (rc != SQLITE_DONE) return error("cannot read acknowledgements");
  return out;
}

Result<std::vector<faults::Incident>> SqliteStore::incidents(bool open_only) {
  Stmt st(*this,
          std::string(
              "SELECT id, root_cause, opened_ms, resolved_ms, circuits, decision FROM incidents") +
              (open_only ? " WHERE resolved_ms IS NULL" : "") + " ORDER BY opened_ms, id");
  if (!st.ok()) return fail(path_, st.err());
  std::vector<faults::Incident> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    faults::Incident i;
    i.id = st.text(0);
    i.root_cause = st.text(1);
    i.opened_at = fromUnixMs(st.i64(2));
    i.resolved_at = st.optTime(3);
    auto c = faults::stringsFromJson(st.text(4));
    if (!c) return fail(path_ + " incidents[" + i.id + "].circuits", c.error().what);
    i.circuits = std::move(*c);
    auto d = faults::decisionFromJson(st.text(5));
    if (!d) return fail(path_ + " incidents[" + i.id + "]." + d.error().where, d.error().what);
    i.decision = std::move(*d);
    out.push_back(std::move(i));
  }
  if (rc != SQLITE_DONE) return error("cannot read incidents");
  return out;
}

Result<std::vector<faults::OutageInterval>> SqliteStore::queryIntervals(const std::string& where,
                                                                        std::int64_t a,
                                                                        std::int64_t b) {
  Stmt st(*this,
          "SELECT circuit, start_ms, end_ms, fault_id, party, location, clause, maintenance,"
          " force_majeure FROM outage_intervals " +
              where + " ORDER BY circuit, start_ms");
  if (!st.ok()) return fail(path_, st.err());
  if (where.find("?1") != std::string::npos) st.bind(1, a).bind(2, b);
  std::vector<faults::OutageInterval> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    faults::OutageInterval iv;
    iv.circuit = st.text(0);
    iv.start = fromUnixMs(st.i64(1));
    iv.end = st.optTime(2);
    iv.fault_id = st.text(3);
    iv.party = parseParty(st.text(4)).value_or(Party::Undetermined);
    iv.location = parseFaultLocation(st.text(5)).value_or(FaultLocation::Unknown);
    iv.clause = st.text(6);
    iv.maintenance = st.i64(7) != 0;
    iv.force_majeure = st.i64(8) != 0;
    out.push_back(std::move(iv));
  }
  if (rc != SQLITE_DONE) return error("cannot read outage intervals");
  return out;
}

Result<std::vector<faults::OutageInterval>> SqliteStore::intervals(TimePoint from, TimePoint to) {
  return queryIntervals("WHERE start_ms < ?2 AND (end_ms IS NULL OR end_ms > ?1)", toUnixMs(from),
                        toUnixMs(to));
}

Result<std::vector<faults::OutageInterval>> SqliteStore::openIntervals() {
  return queryIntervals("WHERE end_ms IS NULL", 0, 0);
}

Result<void> SqliteStore::putInventory(const Inventory& inv) {
  if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
  auto body = [&]() -> Result<void> {
    if (auto r = exec("DELETE FROM circuits"); !r) return r;
    for (const auto& c : inv.circuits) {
      Stmt st(*this, "INSERT INTO circuits(key, data) VALUES(?, ?)");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, c.key).bind(2, faults::circuitToJson(c));
      if (st.step() != SQLITE_DONE) return error("cannot write circuit " + c.key);
    }
    if (auto r = exec("DELETE FROM maintenance_windows"); !r) return r;
    for (const auto& m : inv.maintenance) {
      Stmt st(*this,
              "INSERT INTO maintenance_windows(id, start_ms, end_ms, notified_ms, circuits,"
              " devices, force_majeure, reference) VALUES(?,?,?,?,?,?,?,?)");
      if (!st.ok()) return fail(path_, st.err());
      st.bind(1, m.id)
          .bind(2, toUnixMs(m.start))
          .bind(3, toUnixMs(m.end))
          .bind(4, toMs(m.notified_at))
          .bind(5, faults::stringsToJson(m.circuits))
          .bind(6, faults::stringsToJson(m.devices))
          .bind(7, m.force_majeure)
          .bind(8, m.reference);
      if (st.step() != SQLITE_DONE) return error("cannot write maintenance window " + m.id);
    }
    return {};
  };
  auto r = body();
  if (r) {
    if (auto c = exec("COMMIT"); c)
      return {};
    else
      r = c;
  }
  if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK");
  return r;
}

Result<std::vector<Circuit>> SqliteStore::circuits() {
  Stmt st(*this, "SELECT key, data FROM circuits ORDER BY key");
  if (!st.ok()) return fail(path_, st.err());
  std::vector<Circuit> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    auto c = faults::circuitFromJson(st.text(1));
    if (!c) return fail(path_ + " circuits[" + st.text(0) + "]", c.error().what);
    out.push_back(std::move(*c));
  }
  if (rc != SQLITE_DONE) return error("cannot read circuits");
  return out;
}

Result<std::vector<MaintenanceWindow>> SqliteStore::maintenance() {
  Stmt st(*this,
          "SELECT id, start_ms, end_ms, notified_ms, circuits, devices, force_majeure, reference"
          " FROM maintenance_windows ORDER BY start_ms, id");
  if (!st.ok()) return fail(path_, st.err());
  std::vector<MaintenanceWindow> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    MaintenanceWindow m;
    m.id = st.text(0);
    m.start = fromUnixMs(st.i64(1));
    m.end = fromUnixMs(st.i64(2));
    m.notified_at = st.optTime(3);
    m.circuits = faults::stringsFromJson(st.text(4)).value_or(std::vector<std::string>{});
    m.devices = faults::stringsFromJson(st.text(5)).value_or(std::vector<std::string>{});
    m.force_majeure = st.i64(6) != 0;
    m.reference = st.text(7);
    out.push_back(std::move(m));
  }
  if (rc != SQLITE_DONE) return error("cannot read maintenance windows");
  return out;
}

namespace {
OutboxRow readOutbox(const auto& st) {
  OutboxRow o;
  o.id = st.i64(0);
  o.channel = st.text(1);
  o.key = st.text(2);
  o.fault_id = st.text(3);
  o.seq = static_cast<int>(st.i64(4));
  o.payload = st.text(5);
  o.created = fromUnixMs(st.i64(6));
  o.attempts = static_cast<int>(st.i64(7));
  o.next_attempt = fromUnixMs(st.i64(8));
  o.sent_at = st.optTime(9);
  o.last_error = st.text(10);
  return o;
}
constexpr const char* kOutboxCols =
    "SELECT id, channel, key, fault_id, seq, payload, created_ms, attempts, next_attempt_ms,"
    " sent_ms, last_error FROM outbox ";
}  // namespace

Result<std::vector<OutboxRow>> SqliteStore::dueOutbox(TimePoint now, int limit) {
  Stmt st(*this, std::string(kOutboxCols) +
                     "WHERE sent_ms IS NULL AND next_attempt_ms <= ? ORDER BY id LIMIT ?");
  if (!st.ok()) return fail(path_, st.err());
  st.bind(1, toUnixMs(now)).bind(2, limit);
  std::vector<OutboxRow> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(readOutbox(st));
  if (rc != SQLITE_DONE) return error("cannot read the outbox");
  return out;
}

Result<std::vector<OutboxRow>> SqliteStore::outbox() {
  Stmt st(*this, std::string(kOutboxCols) + "ORDER BY id");
  if (!st.ok()) return fail(path_, st.err());
  std::vector<OutboxRow> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(readOutbox(st));
  if (rc != SQLITE_DONE) return error("cannot read the outbox");
  return out;
}

Result<void> SqliteStore::markSent(std::int64_t id, TimePoint t) {
  Stmt st(
      *this,
      "UPDATE outbox SET sent_ms = ?, attempts = attempts + 1 WHERE id = ? AND sent_ms IS NULL");
  if (!st.ok()) return fail(path_, st.err());
  st.bind(1, toUnixMs(t)).bind(2, id);
  if (st.step() != SQLITE_DONE)
    return error("cannot mark notification " + std::to_string(id) + " sent");
  return {};
}

Result<void> SqliteStore::markRetry(std::int64_t id, int attempts, TimePoint next,
                                    const std::string& err) {
  Stmt st(*this,
          "UPDATE outbox SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?");
  if (!st.ok()) return fail(path_, st.err());
  st.bind(1, attempts).bind(2, toUnixMs(next)).bind(3, err).bind(4, id);
  if (st.step() != SQLITE_DONE)
    return error("cannot reschedule notification " + std::to_string(id));
  return {};
}

Result<std::int64_t> SqliteStore::pendingOutbox() {
  Stmt st(*this, "SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL");
  if (!st.ok()) return fail(path_, st.err());
  if (st.step() != SQLITE_ROW) return error("cannot count the outbox");
  return st.i64(0);
}

Result<std::optional<std::string>> SqliteStore::meta(const std::string& key) {
  Stmt st(*this, "SELECT value FROM meta WHERE key = ?");
  if (!st.ok()) return fail(path_, st.err());
  st.bind(1, key);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>{st.text(0)};
  if (rc != SQLITE_DONE) return error("cannot read meta " + key);
  return std::optional<std::string>{};
}

}  // namespace circuitd::store
