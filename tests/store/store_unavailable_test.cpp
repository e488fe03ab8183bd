// A full disk and a read-only store: monitoring goes on, faults stay in memory, the
// store_unavailable alarm is raised, and everything is written once the store is back.
// Each test mounts its own small tmpfs (root required: without it the test fails).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "daemon/service/fault_service.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "tests/support/engine_events.hpp"

using namespace circuitd;
using namespace circuitd::service;
namespace fs = std::filesystem;

namespace {

using circuitd::testing::at;

// A state change whose long summary uses some space in the store.
EngineEvent ev(const std::string& c, CircuitState s, TimePoint t) {
  EngineEvent e = circuitd::testing::stateChange(c, s, t);
  e.decision.clause.clear();
  e.decision.summary = "line side down, with a long summary to use some space in the store";
  return e;
}

class TmpfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts a tmpfs and needs root";
    std::string tmpl = (fs::temp_directory_path() / "circuitd-tmpfs-XXXXXX").string();
    dir_ = fs::path(::mkdtemp(tmpl.data()));
    ASSERT_EQ(::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=4m"), 0) << std::strerror(errno);
    mounted_ = true;
    db_ = (dir_ / "circuitd.db").string();
  }
  void TearDown() override {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    fs::remove_all(dir_);
  }
  FaultService::StoreOpener opener() {
    return [db = db_]() -> Result<std::unique_ptr<store::Store>> {
      auto s = store::SqliteStore::open(db);
      if (!s) return fail(s.error());
      return std::unique_ptr<store::Store>(std::move(*s));
    };
  }
  // Fills the filesystem to the last byte.
  void fill() {
    std::ofstream f(dir_ / "filler", std::ios::binary);
    std::string block(64 * 1024, 'x');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
    f.close();
    std::ofstream g(dir_ / "filler2", std::ios::binary);
    while (g.put('x')) {
    }
  }
  fs::path dir_;
  std::string db_;
  bool mounted_ = false;
};

}  // namespace

TEST_F(TmpfsTest, FullDiskKeepsFaultsInMemoryRaisesTheAlarmAndWritesThemLater) {
  FaultServiceSettings fss;
  fss.lifecycle.hold_off = Duration{0};
  fss.channels = {"hook"};
  FaultService svc(fss, opener());
  std::vector<bool> alarms;
  svc.onAlarm([&](const StoreAlarm& a) { alarms.push_back(a.unavailable); });
  ASSERT_TRUE(svc.start(Inventory{}, at("2024-07-01T00:00:00Z")));
  svc.onEvent(ev("L0", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  ASSERT_FALSE(svc.alarm().unavailable);

  fill();
  int i = 1;
  // Keep failing circuits until the store refuses a write (SQLite may still have a free page).
  for (; i < 200 && !svc.alarm().unavailable; ++i)
    svc.onEvent(ev("L" + std::to_string(i), CircuitState::Down,
                   at("2024-07-01T00:01:00Z") + std::chrono::seconds(i)));
  ASSERT_TRUE(svc.alarm().unavailable) << "the full disk never showed";
  EXPECT_NE(svc.alarm().error.str().find("full"), std::string::npos) << svc.alarm().error.str();
  EXPECT_NE(svc.alarm().error.where.find(db_), std::string::npos);
  // Monitoring goes on: more faults open and recover in memory.
  const int last = i + 5;
  for (; i < last; ++i)
    svc.onEvent(ev("L" + std::to_string(i), CircuitState::Down,
                   at("2024-07-01T00:10:00Z") + std::chrono::seconds(i)));
  svc.onEvent(ev("L0", CircuitState::Up, at("2024-07-01T00:20:00Z")));
  EXPECT_EQ(svc.lifecycle().faults().size(), static_cast<std::size_t>(last));
  EXPECT_EQ(svc.lifecycle().find("F-000001")->state, faults::FaultState::Resolved);
  svc.onTick(at("2024-07-01T00:21:00Z"));
  EXPECT_TRUE(svc.alarm().unavailable);
  ASSERT_EQ(alarms, std::vector<bool>{true});  // raised once, not once per failed write

  fs::remove(dir_ / "filler");
  fs::remove(dir_ / "filler2");
  svc.onTick(at("2024-07-01T00:22:00Z"));
  EXPECT_FALSE(svc.alarm().unavailable);
  EXPECT_EQ(alarms, (std::vector<bool>{true, false}));

  auto st = store::SqliteStore::open(db_);
  ASSERT_TRUE(st);
  EXPECT_EQ((*st)->faults(store::FaultFilter::All)->size(), static_cast<std::size_t>(last));
  EXPECT_EQ((*st)->transitions("")->size(), static_cast<std::size_t>(last + 1));
  EXPECT_EQ((*st)->outbox()->size(), static_cast<std::size_t>(last + 1));
  EXPECT_EQ((**(*st)->fault("F-000001")).state, faults::FaultState::Resolved);
}

TEST_F(TmpfsTest, ReadOnlyStoreAtStartStillMonitorsAndWritesWhenWritable) {
  ASSERT_EQ(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=4m"), 0)
      << std::strerror(errno);
  FaultServiceSettings fss;
  fss.lifecycle.hold_off = Duration{0};
  fss.channels = {"am"};
  FaultService svc(fss, opener());
  auto started = svc.start(Inventory{}, at("2024-07-01T00:00:00Z"));
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().where.find(db_), std::string::npos) << started.error().str();
  EXPECT_TRUE(svc.alarm().unavailable);
  EXPECT_EQ(svc.store(), nullptr);

  svc.onEvent(ev("L1", CircuitState::Down, at("2024-07-01T00:00:00Z")));
  svc.onEvent(ev("L2", CircuitState::Down, at("2024-07-01T00:00:05Z")));
  svc.onEvent(ev("L1", CircuitState::Up, at("2024-07-01T00:03:00Z")));
  ASSERT_TRUE(svc.acknowledge("F-000002", "wang", at("2024-07-01T00:04:00Z")));
  EXPECT_EQ(svc.lifecycle().faults().size(), 2u);
  svc.onTick(at("2024-07-01T00:05:00Z"));
  EXPECT_TRUE(svc.alarm().unavailable);
  EXPECT_GE(svc.alarm().pending_batches, 4u);

  ASSERT_EQ(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, "size=4m"), 0)
      << std::strerror(errno);
  svc.onTick(at("2024-07-01T00:06:00Z"));
  ASSERT_FALSE(svc.alarm().unavailable) << svc.alarm().error.str();
  ASSERT_NE(svc.store(), nullptr);
  auto tr = svc.store()->transitions("");
  ASSERT_TRUE(tr);
  ASSERT_EQ(tr->size(), 4u);  // open, open, resolved, acknowledged: in order
  EXPECT_EQ((*tr)[2].to, faults::FaultState::Resolved);
  EXPECT_EQ((*tr)[3].actor, "wang");
  EXPECT_EQ(svc.store()->outbox()->size(), 4u);
}
