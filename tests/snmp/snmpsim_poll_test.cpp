// SnmpPoller against snmpsim recordings (tests/data/snmp/*.snmprec): vendor optical tables,
// a 32-bit-only agent, and values changed between polls through writecache SETs.
#include <gtest/gtest.h>

#include <cmath>

#include "config/profile_file.hpp"
#include "tests/support/snmp_agents.hpp"

using namespace circuitd;
using namespace circuitd::snmp;
using circuitd::config::loadProfile;
using circuitd::testing::PollHarness;
using circuitd::testing::RoundResult;
using circuitd::testing::SetValue;
using circuitd::testing::snmpSet;
using circuitd::testing::SnmpsimAgent;
using namespace std::chrono_literals;

namespace {

const std::string kProfiles = std::string(CIRCUITD_SOURCE_DIR) + "/config/profiles";
const std::string kIf = "1.3.6.1.2.1.2.2.1", kIfX = "1.3.6.1.2.1.31.1.1.1";
const std::string kUptime = "1.3.6.1.2.1.1.3.0";

class SnmpsimPollTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    agent_ = new SnmpsimAgent();
    std::string err;
    if (!agent_->start("huawei-atn", &err))
      start_error_ = err.empty() ? "snmpsimd did not start" : err;
  }
  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(start_error_.empty()) << start_error_; }

  PollTarget target(const std::string& community, std::vector<std::string> ifs,
                    const std::string& profile = {}) {
    PollTarget t;
    t.device = community;
    t.address = "127.0.0.1";
    t.port = agent_->port();
    t.credentials.community = community;
    t.interfaces = std::move(ifs);
    t.timeout = 2s;
    t.retries = 1;
    if (!profile.empty()) {
      auto p = loadProfile(profile, {kProfiles});
      EXPECT_TRUE(p) << p.error().str();
      if (p) t.profile = std::make_shared<VendorProfile>(*p);
    }
    return t;
  }
  void set(const std::string& community, const std::vector<SetValue>& v) {
    ASSERT_EQ(snmpSet(agent_->port(), community, v), "");
  }
  /// Puts the Huawei recording's writable values back to a known state.
  void resetHuawei() {
    set("huawei-atn", {{kUptime, 't', "100000"},
                       {kIfX + ".1.5", 's', "GigabitEthernet0/2/0"},
                       {kIfX + ".1.6", 's', "GigabitEthernet0/2/1"},
                       {kIfX + ".6.6", 'C', "1000"},
                       {kIfX + ".10.6", 'C', "2000"},
                       {kIfX + ".6.5", 'C', "1000"},
                       {kIfX + ".10.5", 'C', "2000"},
                       {kIfX + ".19.6", 't', "0"},
                       {kIf + ".14.6", 'c', "0"},
                       {"1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8.16842753", 'i', "-1234"}});
  }

  static SnmpsimAgent* agent_;
  static std::string start_error_;
};
SnmpsimAgent* SnmpsimPollTest::agent_ = nullptr;
std::string SnmpsimPollTest::start_error_;

const InterfaceSample* find(const RoundResult& r, const std::string& name) {
  for (const auto& s : r.samples)
    if (s.if_name == name) return &s;
  return nullptr;
}

}  // namespace

TEST_F(SnmpsimPollTest, HuaweiOpticalPowerFromEntityExtentTable) {
  resetHuawei();
  PollHarness h;
  ASSERT_EQ(h.add(target("huawei-atn",
                         {"GigabitEthernet0/2/0", "GigabitEthernet0/2/1", "GigabitEthernet0/2/2"},
                         "huawei")),
            "");
  auto r = h.round("huawei-atn");
  ASSERT_TRUE(r.device && r.device->reachable) << (r.device ? r.device->error : "no DevicePoll");
  ASSERT_EQ(r.samples.size(), 3u);
  const auto* uni = find(r, "GigabitEthernet0/2/0");
  const auto* up = find(r, "GigabitEthernet0/2/1");
  const auto* old = find(r, "GigabitEthernet0/2/2");
  ASSERT_TRUE(uni && up && old);
  EXPECT_FALSE(uni->rx_power_dbm.has_value());  // electrical UNI: no transceiver row
  EXPECT_DOUBLE_EQ(*up->rx_power_dbm, -12.34);  // dBm x 100
  EXPECT_DOUBLE_EQ(*up->tx_power_dbm, -2.5);
  EXPECT_NEAR(*old->rx_power_dbm, 10 * std::log10(50 / 1000.0), 1e-9);  // old firmware: uW
  EXPECT_NEAR(*old->tx_power_dbm, 10 * std::log10(300 / 1000.0), 1e-9);
  EXPECT_EQ(old->oper, IfStatus::Down);
  EXPECT_EQ(up->if_index, 6);
  // Module's own Rx alarm threshold comes through as an extra; the invalid sentinel does not.
  ASSERT_EQ(up->extra.size(), 2u);
  bool thr = false;
  for (const auto& [n, v] : up->extra) thr |= n == "rx_low_threshold_dbm" && v == -19.0;
  EXPECT_TRUE(thr);
  EXPECT_EQ(old->extra.size(), 1u);
}

TEST_F(SnmpsimPollTest, FadingFibreIsVisibleBetweenPolls) {
  resetHuawei();
  PollHarness h;
  ASSERT_EQ(h.add(target("huawei-atn", {"GigabitEthernet0/2/1"}, "huawei")), "");
  auto a = h.round("huawei-atn");
  ASSERT_EQ(a.samples.size(), 1u);
  set("huawei-atn", {{"1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8.16842753", 'i', "-2150"}});
  auto b = h.round("huawei-atn");
  ASSERT_EQ(b.samples.size(), 1u);
  EXPECT_DOUBLE_EQ(*a.samples[0].rx_power_dbm, -12.34);
  EXPECT_DOUBLE_EQ(*b.samples[0].rx_power_dbm, -21.5);
  EXPECT_EQ(b.samples[0].oper, IfStatus::Up);  // port still up: degradation, not a dead port
}

TEST_F(SnmpsimPollTest, ValuesThatChangeBetweenPollsGiveExactRates) {
  resetHuawei();
  PollHarness h;
  auto t = target("huawei-atn", {"GigabitEthernet0/2/1"});
  t.contracted_mbps["GigabitEthernet0/2/1"] = 100.0;
  ASSERT_EQ(h.add(t), "");
  auto a = h.round("huawei-atn");
  ASSERT_EQ(a.samples.size(), 1u);
  // 10 s of agent time later: 12.5 MB in (10 Mbit/s), 25 MB out (20 Mbit/s), 30 input errors.
  set("huawei-atn", {{kUptime, 't', "101000"},
                     {kIfX + ".6.6", 'C', "12501000"},
                     {kIfX + ".10.6", 'C', "25002000"},
                     {kIf + ".14.6", 'c', "30"}});
  auto b = h.round("huawei-atn");
  ASSERT_EQ(b.samples.size(), 1u);
  const auto& s = b.samples[0];
  EXPECT_FALSE(s.counter_discontinuity);
  EXPECT_DOUBLE_EQ(*s.in_bps, 10e6);
  EXPECT_DOUBLE_EQ(*s.out_bps, 20e6);
  EXPECT_DOUBLE_EQ(*s.in_errors_per_s, 3.0);
  EXPECT_DOUBLE_EQ(*s.in_utilisation, 0.1);
  EXPECT_DOUBLE_EQ(*s.out_utilisation, 0.2);
  EXPECT_FALSE(b.device->rebooted);
}

TEST_F(SnmpsimPollTest, RebootNeverShowsAsASpike) {
  resetHuawei();
  PollHarness h;
  ASSERT_EQ(h.add(target("huawei-atn", {"GigabitEthernet0/2/1"})), "");
  set("huawei-atn", {{kIfX + ".6.6", 'C', "900000000000"}, {kIfX + ".10.6", 'C', "900000000000"}});
  ASSERT_EQ(h.round("huawei-atn").samples.size(), 1u);
  // The box rebooted: sysUpTime back to 20 s, counters restarted near zero.
  set("huawei-atn",
      {{kUptime, 't', "2000"}, {kIfX + ".6.6", 'C', "5000"}, {kIfX + ".10.6", 'C', "7000"}});
  auto b = h.round("huawei-atn");
  ASSERT_TRUE(b.device.has_value());
  EXPECT_TRUE(b.device->rebooted);
  ASSERT_EQ(b.samples.size(), 1u);
  EXPECT_TRUE(b.samples[0].counter_discontinuity);
  EXPECT_FALSE(b.samples[0].in_bps.has_value());
  EXPECT_FALSE(b.samples[0].out_bps.has_value());
  EXPECT_EQ(h.poller().stats().resolutions, 2u);  // names looked up again after the reboot
  // Next round compares post-reboot counters: rates again.
  set("huawei-atn", {{kUptime, 't', "3000"}, {kIfX + ".6.6", 'C', "130000"}});
  auto c = h.round("huawei-atn");
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_FALSE(c.device->rebooted);
  EXPECT_DOUBLE_EQ(*c.samples[0].in_bps, 125000 * 8 / 10.0);
}

TEST_F(SnmpsimPollTest, CounterDiscontinuityTimeChangeWithholdsRates) {
  resetHuawei();
  PollHarness h;
  ASSERT_EQ(h.add(target("huawei-atn", {"GigabitEthernet0/2/1"})), "");
  ASSERT_EQ(h.round("huawei-atn").samples.size(), 1u);
  set("huawei-atn",
      {{kUptime, 't', "101000"}, {kIfX + ".19.6", 't', "100500"}, {kIfX + ".6.6", 'C', "10"}});
  auto b = h.round("huawei-atn");
  ASSERT_EQ(b.samples.size(), 1u);
  EXPECT_TRUE(b.samples[0].counter_discontinuity);
  EXPECT_FALSE(b.samples[0].in_bps.has_value());
  EXPECT_FALSE(b.device->rebooted);
}

TEST_F(SnmpsimPollTest, MovedIfIndexIsResolvedAgainBeforeSamplesAreEmitted) {
  resetHuawei();
  PollHarness h;
  ASSERT_EQ(h.add(target("huawei-atn", {"GigabitEthernet0/2/1"})), "");
  auto a = h.round("huawei-atn");
  ASSERT_EQ(a.samples.size(), 1u);
  EXPECT_EQ(a.samples[0].if_index, 6);
  // The port is renumbered: its name now lives at ifIndex 5.
  set("huawei-atn",
      {{kIfX + ".1.5", 's', "GigabitEthernet0/2/1"}, {kIfX + ".1.6", 's', "GigabitEthernet0/2/0"}});
  auto b = h.round("huawei-atn");
  ASSERT_EQ(b.samples.size(), 1u);
  EXPECT_EQ(b.samples[0].if_index, 5);
  EXPECT_EQ(h.poller().stats().resolutions, 2u);
  resetHuawei();
}

TEST_F(SnmpsimPollTest, ZteOpticalPowerAsDisplayString) {
  PollHarness h;
  ASSERT_EQ(h.add(target("zte-zxctn", {"gei-0/1/0/1", "xgei-0/1/1/1"}, "zte")), "");
  auto r = h.round("zte-zxctn");
  ASSERT_TRUE(r.device && r.device->reachable);
  const auto* gei = find(r, "gei-0/1/0/1");
  const auto* xgei = find(r, "xgei-0/1/1/1");
  ASSERT_TRUE(gei && xgei);
  EXPECT_FALSE(gei->rx_power_dbm.has_value());
  EXPECT_DOUBLE_EQ(*xgei->rx_power_dbm, -9.073);
  EXPECT_DOUBLE_EQ(*xgei->tx_power_dbm, -2.11);
  EXPECT_EQ(*xgei->high_speed_mbps, 10000u);
  EXPECT_EQ(*xgei->in_octets, 500000u);
}

TEST_F(SnmpsimPollTest, ThirtyTwoBitOnlyDeviceWrapsCorrectly) {
  set("legacy-32bit",
      {{kUptime, 't', "1000"}, {kIf + ".10.2", 'c', "4294967000"}, {kIf + ".16.2", 'c', "100"}});
  PollHarness h;
  auto t = target("legacy-32bit", {"Fiber0"});
  t.name_source = IfNameSource::IfDescr;
  ASSERT_EQ(h.add(t), "");
  auto a = h.round("legacy-32bit");
  ASSERT_TRUE(a.device && a.device->reachable) << (a.device ? a.device->error : "");
  ASSERT_EQ(a.samples.size(), 1u);
  EXPECT_EQ(a.samples[0].in_octets, 4294967000u);
  EXPECT_FALSE(a.samples[0].high_speed_mbps.has_value());
  // Ten seconds later the Counter32 has wrapped: 296 + 200 octets.
  set("legacy-32bit",
      {{kUptime, 't', "2000"}, {kIf + ".10.2", 'c', "200"}, {kIf + ".16.2", 'c', "1100"}});
  auto b = h.round("legacy-32bit");
  ASSERT_EQ(b.samples.size(), 1u);
  EXPECT_FALSE(b.samples[0].counter_discontinuity);
  EXPECT_DOUBLE_EQ(*b.samples[0].in_bps, 496 * 8 / 10.0);
  EXPECT_DOUBLE_EQ(*b.samples[0].out_bps, 1000 * 8 / 10.0);
}

TEST_F(SnmpsimPollTest, EntitySensorOpticalPowerInWatts) {
  PollHarness h;
  ASSERT_EQ(h.add(target("generic-sensor", {"Te1/1"}, "generic")), "");
  auto r = h.round("generic-sensor");
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_NEAR(*r.samples[0].rx_power_dbm, 10 * std::log10(0.05), 1e-9);
  EXPECT_NEAR(*r.samples[0].tx_power_dbm, 10 * std::log10(0.5012), 1e-9);
}
