#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/store/sqlite_store.hpp"
#include "domain/faults/lifecycle.hpp"
#include "tests/support/engine_events.hpp"
#include "tests/support/files.hpp"

using namespace circuitd;
using namespace circuitd::store;
namespace fs = std::filesystem;

namespace {

using circuitd::testing::at;

class StoreTest : public ::testing::Test {
 protected:
  circuitd::testing::ScratchDir scratch_{"circuitd-store-"};
  const fs::path& dir_ = scratch_.path();
  const std::string db_ = (dir_ / "circuitd.db").string();
};

// A line-side outage with the rule and the evidence that decided it, both kept by the store.
EngineEvent down(const std::string& c, TimePoint t) {
  EngineEvent e = circuitd::testing::down(c, t);
  e.decision.rule_id = "R9";
  e.decision.evidence = {{"uplink_oper", "down", t}};
  return e;
}

// Runs SQL on the file with a second, raw connection.
int rawExec(const std::string& db, const std::string& sql, std::string* err = nullptr) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  char* msg = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg);
  if (err && msg) *err = msg;
  sqlite3_free(msg);
  sqlite3_close(h);
  return rc;
}

std::string rawScalar(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace

TEST_F(StoreTest, RoundTripsFaultsTransitionsNotesAcksIntervalsAndIncidents) {
  faults::FaultLifecycle lc;
  Batch b;
  b.changes = lc.apply(down("L1", at("2024-07-01T00:00:00Z")));
  b.changes.merge(*lc.acknowledge("F-000001", "wang", at("2024-07-01T00:01:00Z")));
  b.changes.merge(*lc.note("F-000001", "wang", at("2024-07-01T00:02:00Z"), "UPS normal", true));
  faults::Incident inc{"I-1",        "device:atn-01", at("2024-07-01T00:00:00Z"),
                       std::nullopt, {"L1"},          {}};
  b.changes.incidents.push_back(inc);
  b.meta = {{"customer", "新疆乌鲁木齐垦区公安局"}};
  {
    auto s = SqliteStore::open(db_);
    ASSERT_TRUE(s) << s.error().str();
    ASSERT_TRUE((*s)->write(b));
  }
  auto s = SqliteStore::open(db_);
  ASSERT_TRUE(s);
  auto f = (*s)->fault("F-000001");
  ASSERT_TRUE(f && f->has_value());
  const faults::Fault& got = **f;
  EXPECT_EQ(got.state, faults::FaultState::Acknowledged);
  EXPECT_EQ(got.acked_by, "wang");
  EXPECT_EQ(got.decision.rule_id, "R9");
  ASSERT_EQ(got.decision.evidence.size(), 1u);
  EXPECT_EQ(got.decision.evidence[0].time, at("2024-07-01T00:00:00Z"));
  auto tr = (*s)->transitions("F-000001");
  ASSERT_TRUE(tr);
  ASSERT_EQ(tr->size(), 2u);
  EXPECT_FALSE((*tr)[0].from.has_value());
  EXPECT_EQ((*tr)[1].actor, "wang");
  EXPECT_EQ(*(*tr)[1].from, faults::FaultState::Open);
  EXPECT_EQ((*s)->notes("F-000001")->at(0).text, "UPS normal");
  EXPECT_TRUE((*s)->notes("F-000001")->at(0).checked);
  EXPECT_EQ((*s)->acknowledgements("F-000001")->size(), 1u);
  EXPECT_EQ((*s)->openIntervals()->size(), 1u);
  EXPECT_EQ((*s)->incidents(true)->at(0).root_cause, "device:atn-01");
  EXPECT_EQ(**(*s)->meta("customer"), "新疆乌鲁木齐垦区公安局");
  EXPECT_FALSE((*s)->fault("F-000002")->has_value());
  EXPECT_FALSE((*s)->fault("x' OR '1'='1")->has_value());
  EXPECT_EQ((*s)->faults(FaultFilter::Active)->size(), 1u);
}

TEST_F(StoreTest, UsesWalAndFullSync) {
  auto s = SqliteStore::open(db_);
  ASSERT_TRUE(s);
  EXPECT_EQ(rawScalar(db_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*(*s)->schemaVersion(), sqliteSchemaVersion());
}

TEST_F(StoreTest, TransitionLogIsAppendOnly) {
  faults::FaultLifecycle lc;
  Batch b;
  b.changes = lc.apply(down("L1", at("2024-07-01T00:00:00Z")));
  auto s = SqliteStore::open(db_);
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->write(b));
  std::string err;
  EXPECT_NE(rawExec(db_, "UPDATE transitions SET actor='mallory'", &err), SQLITE_OK);
  EXPECT_NE(err.find("append-only"), std::string::npos);
  EXPECT_NE(rawExec(db_, "DELETE FROM transitions", &err), SQLITE_OK);
  EXPECT_EQ((*s)->transitions("")->size(), 1u);
}

TEST_F(StoreTest, FailedBatchLeavesNothingBehind) {
  faults::FaultLifecycle lc;
  Batch b;
  b.changes = lc.apply(down("L1", at("2024-07-01T00:00:00Z")));
  auto s = SqliteStore::open(db_);
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->write(b));
  // The same transition again violates (fault_id, seq): the new fault in the batch must not land.
  Batch bad = b;
  bad.changes.merge(lc.apply(down("L2", at("2024-07-01T00:01:00Z"))));
  auto r = (*s)->write(bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find(db_), std::string::npos);
  EXPECT_FALSE((*s)->fault("F-000002")->has_value());
  EXPECT_EQ((*s)->transitions("")->size(), 1u);
}

TEST_F(StoreTest, OutboxHoldsOneRowPerChannelAndTransition) {
  auto s = SqliteStore::open(db_);
  ASSERT_TRUE(s);
  OutboxRow row;
  row.channel = "am";
  row.key = "F-000001/1";
  row.fault_id = "F-000001";
  row.seq = 1;
  row.payload = "{}";
  row.created = row.next_attempt = at("2024-07-01T00:00:00Z");
  Batch b;
  b.outbox = {row, row};
  row.channel = "hook";
  b.outbox.push_back(row);
  ASSERT_TRUE((*s)->write(b));
  ASSERT_TRUE((*s)->write(b));
  auto rows = (*s)->outbox();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(*(*s)->pendingOutbox(), 2);
  EXPECT_EQ((*s)->dueOutbox(at("2024-06-30T23:59:59Z"), 10)->size(), 0u);
  ASSERT_TRUE((*s)->markRetry(rows->at(0).id, 1, at("2024-07-01T00:00:05Z"), "HTTP 503"));
  EXPECT_EQ((*s)->dueOutbox(at("2024-07-01T00:00:01Z"), 10)->size(), 1u);
  ASSERT_TRUE((*s)->markSent(rows->at(1).id, at("2024-07-01T00:00:01Z")));
  EXPECT_EQ((*s)->dueOutbox(at("2024-07-01T00:00:05Z"), 10)->size(), 1u);
  EXPECT_EQ(*(*s)->pendingOutbox(), 1);
}

TEST_F(StoreTest, MigratesAVersion1FileToTheCurrentSchema) {
  // A file as the first release wrote it: schema v1 and one fault.
  ASSERT_EQ(
      rawExec(
          db_,
          "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL);"
          "INSERT INTO schema_version VALUES(1, 0);" +
              sqliteMigrations()[0]),
      SQLITE_OK);
  ASSERT_EQ(
      rawExec(db_,
              "INSERT INTO faults(id, circuit, cause, incident, root_cause, state, circuit_state,"
              " first_seen_ms, last_change_ms, down_since_ms, acked_by, ticket, reported_by,"
              " closed_by, transitions, decision) VALUES('F-000001','L1','carrier_line','','',"
              "'open','down',1719792000000,1719792000000,1719792000000,'','','','',1,"
              "'{\"state\":\"down\",\"location\":\"carrier_line\",\"party\":\"carrier\"}');"
              "INSERT INTO transitions(fault_id, seq, time_ms, actor, to_state, detail)"
              " VALUES('F-000001',1,1719792000000,'engine','open','');"),
      SQLITE_OK);
  auto s = SqliteStore::open(db_);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(*(*s)->schemaVersion(), 2);
  auto f = (*s)->fault("F-000001");
  ASSERT_TRUE(f && f->has_value());
  EXPECT_EQ((*f)->occurrences, 1);
  EXPECT_EQ((*f)->decision.party, Party::Carrier);
  EXPECT_EQ((*s)->transitions("")->size(), 1u);
  Inventory inv;
  inv.circuits.push_back(Circuit{});
  inv.circuits.back().key = "L1";
  inv.circuits.back().monthly_fee = 3000;
  EXPECT_TRUE((*s)->putInventory(inv));  // v2 table
  EXPECT_EQ((*s)->circuits()->at(0).monthly_fee, 3000);
  EXPECT_EQ(rawScalar(db_, "SELECT COUNT(*) FROM schema_version"), "2");
}

TEST_F(StoreTest, RefusesAFileFromANewerRelease) {
  ASSERT_TRUE(SqliteStore::open(db_));
  ASSERT_EQ(rawExec(db_, "INSERT INTO schema_version VALUES(99, 0)"), SQLITE_OK);
  auto s = SqliteStore::open(db_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("newer"), std::string::npos);
}

TEST_F(StoreTest, MissingFileIsAnErrorWhenNotCreating) {
  auto s = SqliteStore::open((dir_ / "nope.db").string(), SqliteOptions{false, 100});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().where.find("nope.db"), std::string::npos);
}

TEST_F(StoreTest, GarbageFileIsAClearError) {
  { std::ofstream(db_) << "this is not a database, just some text that is long enough........"; }
  auto s = SqliteStore::open(db_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().str().find("not a database"), std::string::npos) << s.error().str();
}

TEST_F(StoreTest, KeepsTheCircuitSnapshotAndMaintenanceWindows) {
  auto s = SqliteStore::open(db_);
  ASSERT_TRUE(s);
  Inventory inv;
  Circuit c;
  c.key = "L1";
  c.link_id = "L1";
  c.contract = "XJWLM2405957CGN00";
  c.site = "site";
  c.service = "视频专网 STN";
  c.bandwidth_mbps = 50;
  c.term_start = "2024-07-11";
  inv.circuits.push_back(c);
  MaintenanceWindow w;
  w.id = "CUT-1";
  w.start = at("2024-07-02T16:00:00Z");
  w.end = at("2024-07-02T18:00:00Z");
  w.notified_at = at("2024-06-30T00:00:00Z");
  w.circuits = {"L1"};
  w.reference = "割接通知 2024-117";
  inv.maintenance.push_back(w);
  ASSERT_TRUE((*s)->putInventory(inv));
  auto cs = (*s)->circuits();
  ASSERT_EQ(cs->size(), 1u);
  EXPECT_EQ(cs->at(0).service, "视频专网 STN");
  EXPECT_EQ(*cs->at(0).bandwidth_mbps, 50);
  EXPECT_EQ(*cs->at(0).term_start, "2024-07-11");
  auto ms = (*s)->maintenance();
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ(ms->at(0), w);
}
