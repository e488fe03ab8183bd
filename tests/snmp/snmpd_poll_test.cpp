// SnmpPoller against Debian's real snmpd on 127.0.0.1 (v2c and v3 authPriv).
#include <gtest/gtest.h>

#include "tests/support/snmp_agents.hpp"

using namespace circuitd;
using namespace circuitd::snmp;
using circuitd::testing::PollHarness;
using circuitd::testing::RoundResult;
using circuitd::testing::SnmpdSuite;
using namespace std::chrono_literals;

namespace {

class SnmpdPollTest : public SnmpdSuite {
 protected:
  PollTarget target(const std::string& name, std::vector<std::string> ifs = {"lo"}) {
    PollTarget t;
    t.device = name;
    t.address = "127.0.0.1";
    t.port = agent_->port();
    t.credentials.community = "public";
    t.interfaces = std::move(ifs);
    t.timeout = 1s;
    t.retries = 1;
    return t;
  }
  PollTarget v3(const std::string& name, SnmpCredentials::AuthProto a, const std::string& user,
                const std::string& auth, const std::string& priv) {
    auto t = target(name);
    t.credentials.version = SnmpCredentials::Version::V3;
    t.credentials.user = user;
    t.credentials.auth_proto = a;
    t.credentials.auth_key = auth;
    t.credentials.priv_proto = SnmpCredentials::PrivProto::Aes128;
    t.credentials.priv_key = priv;
    return t;
  }
};

void expectLoopbackSample(const RoundResult& r) {
  ASSERT_TRUE(r.device.has_value());
  EXPECT_TRUE(r.device->reachable) << r.device->error;
  EXPECT_EQ(r.device->error, "");
  EXPECT_TRUE(r.device->sys_uptime.has_value());
  ASSERT_EQ(r.samples.size(), 1u);
  const auto& s = r.samples[0];
  EXPECT_EQ(s.if_name, "lo");
  EXPECT_EQ(s.if_index, 1);  // Linux numbers lo first
  EXPECT_EQ(s.oper, IfStatus::Up);
  EXPECT_EQ(s.admin, IfStatus::Up);
  EXPECT_TRUE(s.in_octets.has_value());
  EXPECT_TRUE(s.out_octets.has_value());
  EXPECT_TRUE(s.in_errors.has_value());
}

}  // namespace

TEST_F(SnmpdPollTest, V2cPollResolvesLoopbackAndReadsItsColumns) {
  PollHarness h;
  ASSERT_EQ(h.add(target("d1")), "");
  expectLoopbackSample(h.round("d1"));
  EXPECT_EQ(h.poller().stats().resolutions, 1u);
}

TEST_F(SnmpdPollTest, SecondPollGivesRatesWithoutResolvingAgain) {
  PollHarness h;
  ASSERT_EQ(h.add(target("d1")), "");
  auto first = h.round("d1");
  ASSERT_EQ(first.samples.size(), 1u);
  EXPECT_FALSE(first.samples[0].in_bps.has_value());
  h.idle(1100ms);  // the agent's sysUpTime must advance between the two polls
  auto second = h.round("d1");
  ASSERT_EQ(second.samples.size(), 1u);
  EXPECT_FALSE(second.samples[0].counter_discontinuity);
  ASSERT_TRUE(second.samples[0].in_bps.has_value());
  EXPECT_GE(*second.samples[0].in_bps, 0.0);
  EXPECT_GT(*second.device->sys_uptime, *first.device->sys_uptime);
  EXPECT_EQ(h.poller().stats().resolutions, 1u);
}

TEST_F(SnmpdPollTest, V3AuthPrivWithShaAndAes128) {
  PollHarness h;
  ASSERT_EQ(
      h.add(v3("d3", SnmpCredentials::AuthProto::Sha, "shauser", "authpass123", "privpass123")),
      "");
  expectLoopbackSample(h.round("d3"));
}

TEST_F(SnmpdPollTest, V3AuthPrivWithSha256AndAes128) {
  PollHarness h;
  ASSERT_EQ(h.add(v3("d4", SnmpCredentials::AuthProto::Sha256, "sha256user", "authpass256",
                     "privpass256")),
            "");
  expectLoopbackSample(h.round("d4"));
  // The second round reuses the discovered engine ID and time window.
  expectLoopbackSample(h.round("d4"));
}

TEST_F(SnmpdPollTest, V3WrongAuthKeyIsAnAuthenticationFailure) {
  PollHarness h;
  ASSERT_EQ(
      h.add(v3("bad", SnmpCredentials::AuthProto::Sha, "shauser", "wrongpass1", "privpass123")),
      "");
  auto r = h.round("bad");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_FALSE(r.device->reachable);
  EXPECT_EQ(r.device->error, "authentication failure");
  EXPECT_TRUE(r.samples.empty());
  EXPECT_EQ(h.poller().stats().auth_failures, 1u);
  EXPECT_EQ(h.poller().stats().retries, 0u);  // a wrong key is not retried
}

TEST_F(SnmpdPollTest, V3WrongPrivKeyLooksLikeATimeout) {
  // AES with a wrong key decrypts to garbage that snmpd drops as an ASN.1 parse error without
  // a Report (snmpget shows the same "Timeout"), so the poller can only say "timeout".
  PollHarness h;
  auto t = v3("badpriv", SnmpCredentials::AuthProto::Sha, "shauser", "authpass123", "wrongpriv1");
  t.timeout = 300ms;
  t.retries = 0;
  ASSERT_EQ(h.add(t), "");
  auto r = h.round("badpriv");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_FALSE(r.device->reachable);
  EXPECT_EQ(r.device->error, "timeout");
}

TEST_F(SnmpdPollTest, V3UnknownUserIsAnAuthenticationFailure) {
  PollHarness h;
  ASSERT_EQ(h.add(v3("nouser", SnmpCredentials::AuthProto::Sha, "nosuchuser", "authpass123",
                     "privpass123")),
            "");
  auto r = h.round("nouser");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_EQ(r.device->error, "authentication failure");
}

TEST_F(SnmpdPollTest, WrongCommunityTimesOutAfterRetries) {
  PollHarness h;
  auto t = target("silent");
  t.credentials.community = "not-the-community";
  t.timeout = 200ms;
  t.retries = 2;
  ASSERT_EQ(h.add(t), "");
  auto r = h.round("silent");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_FALSE(r.device->reachable);
  EXPECT_EQ(r.device->error, "timeout");
  EXPECT_EQ(h.poller().stats().retries, 2u);
  EXPECT_EQ(h.poller().stats().timeouts, 3u);
  EXPECT_EQ(h.poller().stats().requests, 3u);
}

TEST_F(SnmpdPollTest, MissingInterfaceIsReportedAndOthersStillPolled) {
  PollHarness h;
  ASSERT_EQ(h.add(target("d5", {"lo", "GigabitEthernet0/9/9"})), "");
  auto r = h.round("d5");
  ASSERT_TRUE(r.device.has_value());
  EXPECT_TRUE(r.device->reachable);
  EXPECT_EQ(r.device->error, "no such interface: GigabitEthernet0/9/9");
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_EQ(r.samples[0].if_name, "lo");
  EXPECT_EQ(h.poller().missingInterfaces("d5"), std::vector<std::string>{"GigabitEthernet0/9/9"});
}

TEST_F(SnmpdPollTest, ManyDevicesOnOneLoopRespectTheInFlightCap) {
  PollerLimits lim;
  lim.max_in_flight_total = 3;
  lim.max_in_flight_per_device = 1;
  PollHarness h(lim);
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    names.push_back("dev" + std::to_string(i));
    ASSERT_EQ(h.add(target(names.back())), "");
  }
  auto all = h.roundAll(names);
  ASSERT_EQ(all.size(), 12u);
  for (const auto& n : names) {
    ASSERT_TRUE(all[n].device.has_value()) << n;
    EXPECT_TRUE(all[n].device->reachable) << n << ": " << all[n].device->error;
    EXPECT_EQ(all[n].samples.size(), 1u) << n;
  }
  // 12 devices x (1 walk + 1 GET) = 24 requests through 3 slots: most of them had to wait.
  EXPECT_GE(h.poller().stats().queued_max, 9u);
  EXPECT_GE(h.poller().stats().requests, 24u);
  EXPECT_LE(h.poller().stats().max_in_flight, 3u);
  EXPECT_EQ(h.poller().stats().max_in_flight, 3u);
}

TEST_F(SnmpdPollTest, InvalidCredentialsAreRejectedAtAdd) {
  PollHarness h;
  auto t = v3("short", SnmpCredentials::AuthProto::Sha, "shauser", "short", "privpass123");
  EXPECT_NE(h.add(t).find("auth_key"), std::string::npos);
  auto c = target("nocommunity");
  c.credentials.community.clear();
  EXPECT_NE(h.add(c).find("community"), std::string::npos);
}
