// The runtime's probe shape without sockets: the registry builds the kinds the configuration
// turns on and refuses an unknown one; the ICMP and SNMP probes' apply() diffs are pure.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "daemon/runtime/icmp_probe.hpp"
#include "daemon/runtime/probes.hpp"
#include "daemon/runtime/snmp_probe.hpp"

namespace circuitd::runtime {
namespace {

using Names = std::vector<std::string>;
using std::chrono::seconds;

// A circuit on `device` with the given UNI, uplinks and ICMP targets.
Circuit circuit(const std::string& key, const std::string& device, const std::string& uni,
                Names uplinks, const std::string& carrier = "", const std::string& customer = "",
                Duration interval = seconds{10}) {
  Circuit c;
  c.key = key;
  c.device = device;
  c.uni_interface = uni;
  c.uplink_interfaces = std::move(uplinks);
  c.carrier_target = carrier;
  c.customer_target = customer;
  c.probe_interval = interval;
  return c;
}

Device device(const std::string& name, const std::string& address) {
  Device d;
  d.name = name;
  d.address = address;
  return d;
}

// Two devices, three circuits; atn-02's two circuits share an uplink.
Inventory fleet() {
  Inventory inv;
  inv.devices = {device("atn-01", "127.0.0.1"), device("atn-02", "127.0.0.2")};
  inv.circuits = {circuit("A", "atn-01", "ge0/0/1", {"xe0/1/0"}, "10.0.0.1", "10.1.0.1"),
                  circuit("B", "atn-02", "ge0/0/1", {"xe0/1/0"}, "10.0.0.2"),
                  circuit("C", "atn-02", "ge0/0/2", {"xe0/1/0"}, "10.0.0.2", "", seconds{1})};
  return inv;
}

std::set<std::string> scheduledAll(const Inventory& inv) {
  std::set<std::string> out;
  for (const auto& d : inv.devices) out.insert(d.name);
  return out;
}

// --- the registry -------------------------------------------------------------------------------

struct RegistryTest : ::testing::Test {
  boost::asio::io_context io;
  LoopClock clock{1.0};
  config::Config cfg;
  RuntimeOptions options;
  ProbeContext ctx{
      io,     clock, [](const Observation&) {}, cfg, std::make_shared<spdlog::logger>("probe-test"),
      options};
};

TEST_F(RegistryTest, TheConfigurationTurnsOnTrapAndCaptureProbes) {
  cfg.daemon.trap_listen = "";
  cfg.daemon.capture_interface = "";
  EXPECT_EQ(probeKinds(cfg), (Names{"icmp", "snmp"}));
  cfg.daemon.trap_listen = "127.0.0.1:0";
  EXPECT_EQ(probeKinds(cfg), (Names{"icmp", "snmp", "trap"}));
  cfg.daemon.capture_interface = "cap0";
  EXPECT_EQ(probeKinds(cfg), (Names{"icmp", "snmp", "trap", "capture"}));
  EXPECT_EQ(knownProbeKinds(), (Names{"icmp", "snmp", "trap", "capture"}));
}

TEST_F(RegistryTest, BuildsEveryKnownKindInTheOrderAskedWithoutStartingIt) {
  auto probes = makeProbes({"capture", "icmp", "trap", "snmp"}, ctx);
  ASSERT_TRUE(probes) << probes.error().str();
  Names kinds;
  for (const auto& p : *probes) kinds.emplace_back(p->kind());
  EXPECT_EQ(kinds, (Names{"capture", "icmp", "trap", "snmp"}));
  // Nothing was opened: a snapshot and the counters are only what the capture reports.
  http::Snapshot s;
  RuntimeStats st;
  for (const auto& p : *probes) {
    p->snapshot(s);
    p->stats(st);
  }
  ASSERT_TRUE(s.capture);
  EXPECT_EQ(s.capture->frames, 0u);
  EXPECT_EQ(st.icmp_sent, 0u);
  EXPECT_EQ(st.snmp_rounds, 0u);
}

TEST_F(RegistryTest, AnUnknownKindIsAnErrorNamingIt) {
  auto probes = makeProbes({"icmp", "twamp"}, ctx);
  ASSERT_FALSE(probes);
  EXPECT_NE(probes.error().str().find("unknown probe kind 'twamp'"), std::string::npos)
      << probes.error().str();
  EXPECT_NE(probes.error().str().find("icmp, snmp, trap, capture"), std::string::npos);
}

TEST_F(RegistryTest, NoKindsIsAnEmptyList) {
  auto probes = makeProbes({}, ctx);
  ASSERT_TRUE(probes);
  EXPECT_TRUE(probes->empty());
}

// --- ICMP targets -------------------------------------------------------------------------------

TEST(IcmpTargetsTest, EachTargetOnceWithTheShortestIntervalOfItsCircuits) {
  const auto wanted = wantedIcmpTargets(fleet(), "");
  const IcmpTargets expected{{"10.0.0.1", seconds{10}},
                             {"10.1.0.1", seconds{10}},
                             {"10.0.0.2", seconds{1}}};  // B every 10 s, C every second
  EXPECT_EQ(wanted, expected);
}

TEST(IcmpTargetsTest, TheMonitorTargetIsProbedEverySecondUnlessACircuitProbesIt) {
  auto wanted = wantedIcmpTargets(fleet(), "192.0.2.1");
  EXPECT_EQ(wanted.at("192.0.2.1"), seconds{1});
  wanted = wantedIcmpTargets(fleet(), "10.0.0.1");
  EXPECT_EQ(wanted.at("10.0.0.1"), seconds{10});  // the circuit's interval stays
  EXPECT_EQ(wanted.size(), 3u);
}

TEST(IcmpTargetsTest, TheFirstApplyAddsEveryTarget) {
  const auto wanted = wantedIcmpTargets(fleet(), "");
  const auto c = diffIcmpTargets({}, wanted);
  EXPECT_TRUE(c.remove.empty());
  ASSERT_EQ(c.add.size(), 3u);
  EXPECT_EQ(c.add[0], (std::pair<std::string, Duration>{"10.0.0.1", seconds{10}}));
}

TEST(IcmpTargetsTest, AnUnchangedInventoryChangesNothing) {
  const auto wanted = wantedIcmpTargets(fleet(), "192.0.2.1");
  const auto c = diffIcmpTargets(wanted, wanted);
  EXPECT_TRUE(c.remove.empty());
  EXPECT_TRUE(c.add.empty());
}

TEST(IcmpTargetsTest, ReloadRemovesGoneTargetsAddsNewOnesAndReaddsChangedIntervals) {
  const auto running = wantedIcmpTargets(fleet(), "");
  Inventory next = fleet();
  next.circuits[0].customer_target = "10.1.0.9";  // 10.1.0.1 gone, 10.1.0.9 new
  next.circuits.pop_back();                       // 10.0.0.2 now only B's 10 s
  const auto c = diffIcmpTargets(running, wantedIcmpTargets(next, ""));
  EXPECT_EQ(c.remove, (Names{"10.0.0.2", "10.1.0.1"}));
  const std::vector<std::pair<std::string, Duration>> added{{"10.0.0.2", seconds{10}},
                                                            {"10.1.0.9", seconds{10}}};
  EXPECT_EQ(c.add, added);
}

TEST(IcmpTargetsTest, ATargetWhoseAddFailedIsAddedAgain) {
  // apply() keeps only targets the prober took; the next apply() offers the others again.
  auto running = wantedIcmpTargets(fleet(), "");
  running.erase("10.1.0.1");
  const auto c = diffIcmpTargets(running, wantedIcmpTargets(fleet(), ""));
  EXPECT_TRUE(c.remove.empty());
  ASSERT_EQ(c.add.size(), 1u);
  EXPECT_EQ(c.add[0].first, "10.1.0.1");
}

// --- SNMP devices -------------------------------------------------------------------------------

TEST(SnmpDevicesTest, APollTargetHasEveryInterfaceOfItsCircuitsOnce) {
  Inventory inv = fleet();
  inv.circuits[1].bandwidth_mbps = 100;
  const auto t = pollTarget(*inv.findDevice("atn-02"), inv, nullptr);
  EXPECT_EQ(t.device, "atn-02");
  EXPECT_EQ(t.address, "127.0.0.2");
  EXPECT_EQ(t.interfaces, (Names{"ge0/0/1", "ge0/0/2", "xe0/1/0"}));
  ASSERT_EQ(t.contracted_mbps.size(), 1u);
  EXPECT_EQ(t.contracted_mbps.at("ge0/0/1"), 100);
}

TEST(SnmpDevicesTest, TheFirstApplyAddsEveryDeviceInInventoryOrder) {
  const auto c = diffSnmpDevices(Inventory{}, fleet(), {});
  EXPECT_EQ(c.add, (Names{"atn-01", "atn-02"}));
  EXPECT_TRUE(c.remove.empty());
}

TEST(SnmpDevicesTest, UnchangedScheduledDevicesKeepTheirPlace) {
  const auto c = diffSnmpDevices(fleet(), fleet(), scheduledAll(fleet()));
  EXPECT_TRUE(c.add.empty());
  EXPECT_TRUE(c.remove.empty());
}

TEST(SnmpDevicesTest, AnUnchangedDeviceThatIsNotScheduledIsAddedAgain) {
  // Its add failed at the last apply (e.g. a bad credential then fixed elsewhere).
  const auto c = diffSnmpDevices(fleet(), fleet(), {"atn-01"});
  EXPECT_EQ(c.add, Names{"atn-02"});
}

TEST(SnmpDevicesTest, AChangedDeviceOrInterfaceListIsReaddedAndOthersAreNot) {
  Inventory next = fleet();
  next.devices[0].snmp.community = "rotated";                      // atn-01 changed
  next.circuits.push_back(circuit("D", "atn-02", "ge0/0/3", {}));  // atn-02 gets an interface
  auto c = diffSnmpDevices(fleet(), next, scheduledAll(fleet()));
  EXPECT_EQ(c.add, (Names{"atn-01", "atn-02"}));
  EXPECT_TRUE(c.remove.empty());

  // A circuit change that leaves the interface list alone does not touch the device.
  next = fleet();
  next.circuits[1].carrier_target = "10.0.0.20";
  next.circuits[2].probe_interval = seconds{5};
  c = diffSnmpDevices(fleet(), next, scheduledAll(fleet()));
  EXPECT_TRUE(c.add.empty());
}

TEST(SnmpDevicesTest, ADeviceGoneFromTheInventoryIsRemoved) {
  Inventory next = fleet();
  next.devices.erase(next.devices.begin());
  next.devices.push_back(device("atn-03", "127.0.0.3"));
  const auto c = diffSnmpDevices(fleet(), next, scheduledAll(fleet()));
  EXPECT_EQ(c.remove, Names{"atn-01"});
  EXPECT_EQ(c.add, Names{"atn-03"});
}

}  // namespace
}  // namespace circuitd::runtime
