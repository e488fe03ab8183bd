// The reload diff is pure: two configurations in, the sets of changes out.
#include "daemon/runtime/reload.hpp"

#include <gtest/gtest.h>

#include "daemon/runtime/status.hpp"

namespace circuitd::runtime {
namespace {

using Keys = std::vector<std::string>;

config::Config base() {
  config::Config c;
  Device d;
  d.name = "atn-01";
  d.address = "127.0.0.1";
  c.inventory.devices.push_back(d);
  d.name = "atn-02";
  d.address = "127.0.0.2";
  c.inventory.devices.push_back(d);
  for (const char* k : {"A", "B", "C"}) {
    Circuit x;
    x.key = k;
    x.device = "atn-01";
    x.carrier_target = "127.0.0.1";
    c.inventory.circuits.push_back(x);
  }
  c.inventory.circuits[2].device = "atn-02";
  return c;
}

TEST(ReloadDiffTest, IdenticalConfigurationsChangeNothing) {
  auto d = diffConfig(base(), base());
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.circuits_unchanged, (Keys{"A", "B", "C"}));
  EXPECT_TRUE(d.restart_required.empty());
}

TEST(ReloadDiffTest, AddedRemovedAndChangedCircuitsAreSeparatedFromUnchangedOnes) {
  auto after = base();
  after.inventory.circuits.erase(after.inventory.circuits.begin());      // A removed
  after.inventory.circuits[0].probe_interval = std::chrono::seconds{5};  // B changed
  Circuit d;
  d.key = "D";
  after.inventory.circuits.push_back(d);  // D added
  auto diff = diffConfig(base(), after);
  EXPECT_EQ(diff.circuits_removed, Keys{"A"});
  EXPECT_EQ(diff.circuits_changed, Keys{"B"});
  EXPECT_EQ(diff.circuits_added, Keys{"D"});
  EXPECT_EQ(diff.circuits_unchanged, Keys{"C"});
  EXPECT_FALSE(diff.empty());
  EXPECT_EQ(diff.summary(),
            "+1 -1 ~1 circuits (1 unchanged), +0 -0 ~0 devices, maintenance unchanged");
}

TEST(ReloadDiffTest, ADeviceChangeMarksItsCircuitsChangedAndLeavesOthersAlone) {
  auto after = base();
  after.inventory.devices[0].snmp.community = "new-secret";
  auto diff = diffConfig(base(), after);
  EXPECT_EQ(diff.devices_changed, Keys{"atn-01"});
  EXPECT_EQ(diff.circuits_changed, (Keys{"A", "B"}));
  EXPECT_EQ(diff.circuits_unchanged, Keys{"C"});
}

TEST(ReloadDiffTest, DevicesAddedAndRemovedAreListed) {
  auto after = base();
  after.inventory.devices.erase(after.inventory.devices.begin() + 1);
  Device d;
  d.name = "atn-03";
  after.inventory.devices.push_back(d);
  auto diff = diffConfig(base(), after);
  EXPECT_EQ(diff.devices_added, Keys{"atn-03"});
  EXPECT_EQ(diff.devices_removed, Keys{"atn-02"});
}

TEST(ReloadDiffTest, MaintenanceWindowChangesAreDetected) {
  auto after = base();
  MaintenanceWindow w;
  w.id = "cutover-1";
  after.inventory.maintenance.push_back(w);
  auto diff = diffConfig(base(), after);
  EXPECT_TRUE(diff.maintenance_changed);
  EXPECT_FALSE(diff.empty());
}

TEST(ReloadDiffTest, SettingsThatNeedARestartAreNamedByKeyPath) {
  auto after = base();
  after.store.path = "/elsewhere.db";
  after.http.listen = "127.0.0.1:9999";
  after.daemon.trap_listen = "127.0.0.1:1162";
  auto diff = diffConfig(base(), after);
  EXPECT_EQ(diff.restart_required, (Keys{"daemon.trap_listen", "store.path", "http.listen"}));
  EXPECT_TRUE(diff.empty());  // nothing that reload applies live
}

TEST(ReloadDiffTest, ChangedNotificationChannelsNeedARestart) {
  auto after = base();
  config::NotifyChannel c;
  c.name = "hook";
  c.kind = "exec";
  c.command = {"/bin/true"};
  after.notify.push_back(c);
  auto diff = diffConfig(base(), after);
  EXPECT_EQ(diff.restart_required, (Keys{"notify"}));
  auto same = after;
  EXPECT_TRUE(diffConfig(after, same).restart_required.empty());
}

TEST(StatusLineTest, CountsEveryStateOnce) {
  std::map<std::string, CircuitState> m{
      {"a", CircuitState::Up}, {"b", CircuitState::Down},        {"c", CircuitState::Unknown},
      {"d", CircuitState::Up}, {"e", CircuitState::Maintenance}, {"f", CircuitState::Degraded}};
  auto c = countStates(m);
  EXPECT_EQ(c.total(), 6u);
  EXPECT_EQ(statusLine(c), "6 circuits: 2 up, 1 degraded, 1 down, 1 unknown, 1 maintenance");
}

}  // namespace
}  // namespace circuitd::runtime
