// TrapReceiver with real notifications from net-snmp's snmptrap and snmpinform.
#include "probes/snmp/trap_receiver.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "config/profile_file.hpp"
#include "daemon/runtime/system_clock.hpp"
#include "tests/support/snmp_agents.hpp"

using namespace circuitd;
using namespace circuitd::snmp;
using circuitd::config::loadProfile;
using circuitd::testing::requireTool;
using circuitd::testing::ScratchDir;
using circuitd::testing::startSnmpProgram;
using namespace std::chrono_literals;

namespace {

const std::string kProfiles = std::string(CIRCUITD_SOURCE_DIR) + "/config/profiles";
const std::string kEngine = "0x8000000001020304";

class TrapReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(requireTool("/usr/bin/snmptrap"));
    ASSERT_TRUE(requireTool("/usr/bin/snmpinform"));
    TrapReceiverConfig cfg;
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.communities = {"traps"};
    TrapUser trap_user;  // traps: keys localised to the sender's engine ID
    trap_user.credentials =
        creds("trapuser", SnmpCredentials::AuthProto::Sha, "trapauth1", "trappriv1");
    trap_user.engine_id = kEngine;
    TrapUser inform_user;  // informs: the receiver is authoritative
    inform_user.credentials =
        creds("informuser", SnmpCredentials::AuthProto::Sha256, "informauth1", "informpriv1");
    cfg.users = {trap_user, inform_user};
    auto p = loadProfile("huawei", {kProfiles});
    ASSERT_TRUE(p) << p.error().str();
    cfg.profiles.push_back(std::make_shared<VendorProfile>(*p));
    rx_ = std::make_unique<TrapReceiver>(
        io_, clock_, cfg,
        [this](Observation o) {
          if (auto* e = std::get_if<TrapEvent>(&o)) events_.push_back(*e);
        },
        [](const std::string& ip) -> std::optional<std::string> {
          if (ip == "127.0.0.1") return std::string("atn-kqgaj-01");
          return std::nullopt;
        },
        [](const std::string& dev, std::int32_t idx) -> std::optional<std::string> {
          if (dev == "atn-kqgaj-01" && idx == 6) return std::string("GigabitEthernet0/2/1");
          return std::nullopt;
        });
    auto r = rx_->start();
    ASSERT_TRUE(r) << r.error().str();
    ASSERT_NE(rx_->port(), 0);
  }

  static SnmpCredentials creds(const std::string& u, SnmpCredentials::AuthProto a,
                               const std::string& ak, const std::string& pk) {
    SnmpCredentials c;
    c.version = SnmpCredentials::Version::V3;
    c.user = u;
    c.auth_proto = a;
    c.auth_key = ak;
    c.priv_proto = SnmpCredentials::PrivProto::Aes128;
    c.priv_key = pk;
    return c;
  }

  std::string dest() const { return "127.0.0.1:" + std::to_string(rx_->port()); }

  /// Runs `argv` while the receiver's loop runs; returns the sender's exit status once it has
  /// ended and `until` holds (or the 20 s deadline passed).
  int send(const std::vector<std::string>& argv, const std::function<bool()>& until) {
    const auto p = startSnmpProgram(argv, tmp_.path(), tmp_.path() / "sender.log");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::optional<int> st;
    while (std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(20ms);
      if (!st) st = p->tryWait();
      if (st && until()) break;
    }
    return st.value_or(-1);
  }

  boost::asio::io_context io_;
  SystemClock clock_;
  ScratchDir tmp_{"circuitd-snmp-"};
  std::unique_ptr<TrapReceiver> rx_;
  std::vector<TrapEvent> events_;
};

}  // namespace

TEST_F(TrapReceiverTest, V2cLinkDownNamesDeviceAndInterface) {
  const int rc = send({"/usr/bin/snmptrap", "-v2c", "-c", "traps", dest(), "",
                       "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.6", "i", "6",
                       "1.3.6.1.2.1.2.2.1.7.6", "i", "1", "1.3.6.1.2.1.2.2.1.8.6", "i", "2"},
                      [this] { return !events_.empty(); });
  EXPECT_EQ(rc, 0);
  ASSERT_EQ(events_.size(), 1u);
  const auto& e = events_[0];
  EXPECT_EQ(e.kind, TrapKind::LinkDown);
  EXPECT_EQ(e.trap_name, "linkDown");
  EXPECT_EQ(e.trap_oid, "1.3.6.1.6.3.1.1.5.3");
  EXPECT_EQ(e.device, "atn-kqgaj-01");
  EXPECT_EQ(e.if_index, 6);
  EXPECT_EQ(e.if_name, "GigabitEthernet0/2/1");
  EXPECT_EQ(e.source.rfind("127.0.0.1:", 0), 0u);
  EXPECT_FALSE(e.inform);
}

TEST_F(TrapReceiverTest, HuaweiDyingGaspNamedByProfile) {
  send({"/usr/bin/snmptrap", "-v2c", "-c", "traps", dest(), "", "1.3.6.1.4.1.2011.5.25.129.2.1.19"},
       [this] { return !events_.empty(); });
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, TrapKind::DyingGasp);
  EXPECT_EQ(events_[0].trap_name, "hwEntityDyingGasp");
}

TEST_F(TrapReceiverTest, ColdStartAndWarmStart) {
  send({"/usr/bin/snmptrap", "-v2c", "-c", "traps", dest(), "", "1.3.6.1.6.3.1.1.5.1"},
       [this] { return events_.size() >= 1; });
  send({"/usr/bin/snmptrap", "-v2c", "-c", "traps", dest(), "", "1.3.6.1.6.3.1.1.5.2"},
       [this] { return events_.size() >= 2; });
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].kind, TrapKind::ColdStart);
  EXPECT_EQ(events_[1].kind, TrapKind::WarmStart);
}

TEST_F(TrapReceiverTest, V3AuthPrivTrapFromKnownEngine) {
  const int rc = send({"/usr/bin/snmptrap",
                       "-v3",
                       "-e",
                       kEngine,
                       "-u",
                       "trapuser",
                       "-l",
                       "authPriv",
                       "-a",
                       "SHA",
                       "-A",
                       "trapauth1",
                       "-x",
                       "AES",
                       "-X",
                       "trappriv1",
                       dest(),
                       "",
                       "1.3.6.1.6.3.1.1.5.4",
                       "1.3.6.1.2.1.2.2.1.1.6",
                       "i",
                       "6"},
                      [this] { return !events_.empty(); });
  EXPECT_EQ(rc, 0);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, TrapKind::LinkUp);
  EXPECT_EQ(events_[0].if_name, "GigabitEthernet0/2/1");
}

TEST_F(TrapReceiverTest, V3TrapWithWrongKeyIsDropped) {
  send({"/usr/bin/snmptrap", "-v3", "-e", kEngine, "-u", "trapuser", "-l", "authPriv", "-a", "SHA",
        "-A", "wrongauth1", "-x", "AES", "-X", "trappriv1", dest(), "", "1.3.6.1.6.3.1.1.5.3"},
       [] { return true; });  // the sender exits at once; the loop has read its datagram by then
  // Then a valid one, to show the receiver is alive and the bad one produced nothing.
  send({"/usr/bin/snmptrap", "-v2c", "-c", "traps", dest(), "", "1.3.6.1.6.3.1.1.5.1"},
       [this] { return !events_.empty(); });
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, TrapKind::ColdStart);
}

TEST_F(TrapReceiverTest, V2cInformIsAcknowledged) {
  // snmpinform exits 0 only when the receiver's Response arrives.
  const int rc = send({"/usr/bin/snmpinform", "-v2c", "-c", "traps", "-t", "2", "-r", "0", dest(),
                       "", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.6", "i", "6"},
                      [this] { return !events_.empty(); });
  EXPECT_EQ(rc, 0);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(events_[0].inform);
  EXPECT_EQ(rx_->stats().informs_acked, 1u);
}

TEST_F(TrapReceiverTest, V3InformWithSha256IsAcknowledged) {
  const int rc = send({"/usr/bin/snmpinform",
                       "-v3",
                       "-u",
                       "informuser",
                       "-l",
                       "authPriv",
                       "-a",
                       "SHA-256",
                       "-A",
                       "informauth1",
                       "-x",
                       "AES",
                       "-X",
                       "informpriv1",
                       "-t",
                       "2",
                       "-r",
                       "1",
                       dest(),
                       "",
                       "1.3.6.1.4.1.2011.5.25.129.2.3.1"},
                      [this] { return !events_.empty(); });
  EXPECT_EQ(rc, 0);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, TrapKind::PowerLoss);
  EXPECT_TRUE(events_[0].inform);
}

TEST_F(TrapReceiverTest, UnknownCommunityIsRejected) {
  send({"/usr/bin/snmptrap", "-v2c", "-c", "guess", dest(), "", "1.3.6.1.6.3.1.1.5.3"},
       [this] { return rx_->stats().rejected_community >= 1; });
  EXPECT_EQ(rx_->stats().rejected_community, 1u);
  EXPECT_TRUE(events_.empty());
}
