// The (device, ifIndex) -> interface name map the SNMP probe fills and the trap probe reads.
#include "daemon/runtime/interface_names.hpp"

#include <gtest/gtest.h>

namespace circuitd::runtime {
namespace {

TEST(InterfaceNames, FindsTheNameOfAResolvedIfIndexOnItsDeviceOnly) {
  InterfaceNames n;
  n.set("atn-01", {{1, "lo"}, {6, "GigabitEthernet0/2/1"}});
  n.set("atn-02", {{6, "GigabitEthernet0/2/4"}});
  EXPECT_EQ(n.find("atn-01", 6), "GigabitEthernet0/2/1");
  EXPECT_EQ(n.find("atn-02", 6), "GigabitEthernet0/2/4");
  EXPECT_EQ(n.find("atn-01", 7), std::nullopt);  // not a polled interface
  EXPECT_EQ(n.find("atn-03", 6), std::nullopt);  // not a polled device
  EXPECT_EQ(n.devices(), 2u);
}

TEST(InterfaceNames, ANewResolutionReplacesTheOldMappingOfTheDevice) {
  InterfaceNames n;
  n.set("atn-01", {{6, "GigabitEthernet0/2/1"}});
  // After a reboot the port came back at another ifIndex: the old index names nothing.
  n.set("atn-01", {{9, "GigabitEthernet0/2/1"}});
  EXPECT_EQ(n.find("atn-01", 6), std::nullopt);
  EXPECT_EQ(n.find("atn-01", 9), "GigabitEthernet0/2/1");
}

TEST(InterfaceNames, RemovedOrEmptyDevicesAreForgotten) {
  InterfaceNames n;
  n.set("atn-01", {{6, "GigabitEthernet0/2/1"}});
  n.set("atn-02", {{6, "GigabitEthernet0/2/4"}});
  n.remove("atn-01");
  EXPECT_EQ(n.find("atn-01", 6), std::nullopt);
  n.set("atn-02", {});  // resolved to nothing: none of its names exists on the agent
  EXPECT_EQ(n.find("atn-02", 6), std::nullopt);
  EXPECT_EQ(n.devices(), 0u);
  n.remove("never-added");  // harmless
}

}  // namespace
}  // namespace circuitd::runtime
