// Loading valid configurations: every key lands in the right field, nested includes and
// [[topology]] merge, defaults apply, relative paths resolve; plus the secrets-mode warning
// and error collection across files.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using circuitd::Criticality;
using circuitd::SnmpCredentials;

const fs::path kData = fs::path(CIRCUITD_SOURCE_DIR) / "tests/data/config";

std::string allErrors(const circuitd::config::LoadResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += e.str() + "\n";
  return s;
}

/// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/circuitd-config-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
    const auto p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    chmod(p.c_str(), mode);
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class FullConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    r_ = circuitd::config::load((kData / "good/full.toml").string());
    ASSERT_TRUE(r_.config.has_value()) << allErrors(r_);
    cfg_ = &*r_.config;
  }
  circuitd::config::LoadResult r_;
  const circuitd::config::Config* cfg_ = nullptr;
};

TEST_F(FullConfig, ReadsEveryFileThroughNestedIncludesInOrder) {
  ASSERT_EQ(cfg_->files.size(), 4u);
  EXPECT_EQ(fs::path(cfg_->files[0]).filename(), "full.toml");
  EXPECT_EQ(fs::path(cfg_->files[1]).filename(), "inventory.toml");
  EXPECT_EQ(fs::path(cfg_->files[2]).filename(), "topology.toml");
  EXPECT_EQ(fs::path(cfg_->files[3]).filename(), "maintenance.toml");
}

TEST_F(FullConfig, DaemonStoreAndHttpSettingsAreRead) {
  const auto& d = cfg_->daemon;
  const auto good = (kData / "good").lexically_normal();
  EXPECT_EQ(d.state_dir, (good / "state").string()) << "relative to the config file's directory";
  EXPECT_EQ(d.profiles_dir, (good / "profiles").string());
  EXPECT_EQ(d.rules_file, (good / "rules.toml").string());
  EXPECT_EQ(d.log_level, "debug");
  EXPECT_EQ(d.trap_listen, "[::1]:10162");
  EXPECT_EQ(d.trap_communities, (std::vector<std::string>{"trap-one", "trap-two"}));
  EXPECT_EQ(d.capture_interface, "veth-mon0");
  EXPECT_EQ(d.monitor_target, "127.0.0.9");
  EXPECT_EQ(d.max_in_flight, 64);
  EXPECT_EQ(d.max_in_flight_per_device, 2);
  EXPECT_EQ(d.snmp_start_grid, std::chrono::milliseconds{250});
  EXPECT_EQ(d.icmp_send_quantum, std::chrono::milliseconds{3});
  EXPECT_EQ(cfg_->store.backend, "sqlite");
  EXPECT_EQ(cfg_->store.path, (good / "state/circuitd.db").string()) << "defaults under state_dir";
  EXPECT_TRUE(cfg_->http.enabled);
  EXPECT_EQ(cfg_->http.listen, "127.0.0.1:0");
  EXPECT_EQ(cfg_->http.client_timeout, std::chrono::seconds{2});
  EXPECT_EQ(cfg_->http.max_connections, 8);
}

TEST_F(FullConfig, DevicesCarryEveryKeyAndDefaults) {
  const auto& inv = cfg_->inventory;
  ASSERT_EQ(inv.devices.size(), 2u);
  const auto* d = inv.findDevice("atn-kqgaj-01");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->address, "127.0.0.1");
  EXPECT_EQ(d->snmp_port, 10161);
  EXPECT_EQ(d->site, "交警大队");
  EXPECT_EQ(d->aggregation, "agg-west");
  EXPECT_EQ(d->profile, "huawei-atn");
  EXPECT_EQ(d->if_name_source, circuitd::IfNameSource::IfDescr);
  EXPECT_EQ(d->interfaces.size(), 3u);
  EXPECT_EQ(d->poll_interval, 30s);
  EXPECT_EQ(d->timeout, 1500ms);
  EXPECT_EQ(d->retries, 3);
  EXPECT_EQ(d->snmp.version, SnmpCredentials::Version::V3);
  EXPECT_EQ(d->snmp.user, "noc");
  EXPECT_EQ(d->snmp.auth_proto, SnmpCredentials::AuthProto::Sha256);
  EXPECT_EQ(d->snmp.auth_key, "auth-pass-1");
  EXPECT_EQ(d->snmp.priv_proto, SnmpCredentials::PrivProto::Aes128);
  EXPECT_EQ(d->snmp.priv_key, "priv-pass-1");

  const auto* v2 = inv.findDevice("atn-wkj-01");
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->address, "::1");
  EXPECT_EQ(v2->snmp_port, 161);
  EXPECT_EQ(v2->snmp.version, SnmpCredentials::Version::V2c);
  EXPECT_EQ(v2->snmp.community, "wkj-ro");
  EXPECT_EQ(v2->poll_interval, 30s);
  EXPECT_EQ(v2->timeout, 2s);
  EXPECT_EQ(v2->retries, 2);
}

TEST_F(FullConfig, TopologyFromTheNocFileMergesIntoTheImportedCircuit) {
  const auto* c = cfg_->inventory.findCircuit("STN09913418236");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->link_id, "STN09913418236");
  EXPECT_EQ(c->contract, "XJWLM2405957CGN00");
  EXPECT_EQ(c->contract_row, 1);
  EXPECT_EQ(c->service, "公安网");
  EXPECT_EQ(c->bandwidth_mbps, 100.0);
  EXPECT_EQ(c->monthly_fee, 900.0);
  EXPECT_EQ(c->annual_fee, 10800.0);
  EXPECT_EQ(c->term_start, "2024-01-01");
  EXPECT_EQ(c->term_end, "2024-12-31") << "a TOML date is accepted as well as a string";
  EXPECT_FALSE(c->review);
  EXPECT_EQ(c->device, "atn-kqgaj-01");
  EXPECT_EQ(c->uni_interface, "GigabitEthernet0/2/1");
  EXPECT_EQ(c->uplink_interfaces,
            (std::vector<std::string>{"GigabitEthernet0/2/4", "GigabitEthernet0/2/5"}));
  EXPECT_EQ(c->carrier_target, "127.0.1.1");
  EXPECT_EQ(c->customer_target, "127.0.2.1");
  EXPECT_EQ(c->criticality, Criticality::Critical);
  EXPECT_EQ(c->probe_interval, 1s) << "critical circuits default to a 1 s probe interval";
  EXPECT_EQ(c->vlan, 101);
  EXPECT_EQ(c->prefix, "10.1.2.0/24");
  EXPECT_EQ(c->reflector, "127.0.1.1:862");
}

TEST_F(FullConfig, CircuitWithoutLinkIdUsesItsKeyAndInlineTopology) {
  const auto* c = cfg_->inventory.findCircuit("XJWLM2405957CGN00#11");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->link_id, "");
  EXPECT_TRUE(c->review);
  EXPECT_EQ(c->bandwidth_mbps, 20.0) << "an integer bandwidth is accepted";
  EXPECT_EQ(c->device, "atn-wkj-01");
  EXPECT_EQ(c->carrier_target, "::1");
  EXPECT_EQ(c->probe_interval, 2s);
  EXPECT_EQ(c->criticality, Criticality::Normal);
  EXPECT_FALSE(c->term_start.has_value());
}

TEST_F(FullConfig, RepeatedLinkIdOnReviewRowsIsAWarningNotAnError) {
  EXPECT_NE(cfg_->inventory.findCircuit("XJWLM2405957CGN00#52"), nullptr);
  EXPECT_NE(cfg_->inventory.findCircuit("XJWLM2405957CGN00#53"), nullptr);
  const auto it =
      std::find_if(r_.warnings.begin(), r_.warnings.end(), [](const circuitd::Error& w) {
        return w.what.find("link_id 'STN09914490812' is also used") != std::string::npos;
      });
  ASSERT_NE(it, r_.warnings.end());
  EXPECT_NE(it->where.find("inventory.toml:43:1 circuit[3].link_id"), std::string::npos)
      << it->where;
}

TEST_F(FullConfig, MaintenanceWindowsConvertToUtcAndKeepScope) {
  const auto& m = cfg_->inventory.maintenance;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(circuitd::formatIso(m[0].start), "2024-06-14T17:00:00Z") << "+08:00 converted";
  EXPECT_EQ(circuitd::formatIso(m[0].end), "2024-06-14T19:00:00Z") << "ISO string form";
  ASSERT_TRUE(m[0].notified_at.has_value());
  EXPECT_EQ(circuitd::formatIso(*m[0].notified_at), "2024-06-13T10:00:00Z");
  EXPECT_EQ(m[0].circuits, std::vector<std::string>{"STN09913418236"});
  EXPECT_EQ(m[0].devices, std::vector<std::string>{"atn-wkj-01"});
  EXPECT_EQ(m[0].reference, "割接通知 2024-0615");
  EXPECT_FALSE(m[0].force_majeure);
  EXPECT_TRUE(m[1].force_majeure);
  EXPECT_EQ(circuitd::formatIso(m[1].start), "2024-07-01T00:00:00Z") << "no offset means UTC";
}

TEST_F(FullConfig, SummaryCountsDevicesCircuitsTargetsAndWindows) {
  EXPECT_EQ(circuitd::config::summary(*cfg_),
            "2 devices, 4 circuits, 5 probe targets, 2 maintenance windows");
}

TEST(ConfigLoader, BundledDemoLoadsItsTenCircuitsOnOneLoopbackDevice) {
  const auto r = circuitd::config::load(CIRCUITD_SOURCE_DIR "/config/demo.toml");
  ASSERT_TRUE(r.config.has_value()) << allErrors(r);
  const auto& inv = r.config->inventory;
  ASSERT_EQ(inv.devices.size(), 1u);
  EXPECT_EQ(inv.devices[0].name, "demo-atn-01");
  EXPECT_EQ(inv.devices[0].address, "127.0.0.1");
  EXPECT_EQ(inv.devices[0].snmp_port, 11161);
  EXPECT_EQ(inv.devices[0].snmp.community, "demo-ro");
  EXPECT_GE(inv.circuits.size(), 8u);
  EXPECT_LE(inv.circuits.size(), 10u);
  for (const auto& c : inv.circuits) {
    EXPECT_EQ(c.contract, "XJWLM2405957CGN00");
    EXPECT_EQ(c.device, "demo-atn-01") << c.key;
    EXPECT_EQ(c.uni_interface, "lo") << c.key;
    EXPECT_EQ(c.carrier_target.rfind("127.0.1.", 0), 0u) << c.key;
    EXPECT_EQ(c.customer_target.rfind("127.0.2.", 0), 0u) << c.key;
  }
  EXPECT_EQ(r.config->daemon.state_dir,
            (fs::path(CIRCUITD_SOURCE_DIR) / "config/state/demo").lexically_normal().string());
}

TEST(ConfigLoader, CommentedExampleConfigIsValid) {
  const auto r = circuitd::config::load(CIRCUITD_SOURCE_DIR "/config/circuitd.toml");
  EXPECT_TRUE(r.config.has_value()) << allErrors(r);
}

TEST(ConfigLoader, CollectsErrorsFromEveryFileNotJustTheFirst) {
  TempDir dir;
  dir.write("inv.toml",
            "[[circuit]]\nlink_id = \"STN1\"\nvlan = 0\n\n[[circuit]]\nlink_id = \"STN1\"\n");
  const auto top = dir.write("top.toml",
                             "include = [\"inv.toml\"]\n[http]\nenabled = \"yes\"\n[[topology]]\n"
                             "circuit = \"STN2\"\n");
  const auto r = circuitd::config::load(top.string());
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 4u) << allErrors(r);
  // Sorted by file in reading order, then line.
  EXPECT_EQ(r.errors[0].where, top.string() + ":3:1 http.enabled");
  EXPECT_EQ(r.errors[0].what, "expected a boolean (true or false), got a string");
  EXPECT_EQ(r.errors[1].where, top.string() + ":5:1 topology[0].circuit");
  EXPECT_EQ(r.errors[1].what, "unknown circuit 'STN2' (did you mean 'STN1'?)");
  EXPECT_EQ(r.errors[2].where, (dir.path() / "inv.toml").string() + ":3:1 circuit[0].vlan");
  EXPECT_EQ(r.errors[3].where, (dir.path() / "inv.toml").string() + ":6:1 circuit[1].link_id");
  EXPECT_NE(r.errors[3].what.find("duplicate circuit key 'STN1'"), std::string::npos);
}

TEST(ConfigLoader, SecretsInAWorldReadableFileAreWarnedWithFileAndMode) {
  TempDir dir;
  const auto f = dir.write("dev.toml",
                           "[[device]]\nname = \"a\"\naddress = \"127.0.0.1\"\n"
                           "snmp = { version = \"2c\", community = \"s3cret\" }\n",
                           0644);
  const auto r = circuitd::config::load(f.string());
  ASSERT_TRUE(r.config.has_value()) << allErrors(r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].where, f.string());
  EXPECT_NE(r.warnings[0].what.find("file mode 0644"), std::string::npos) << r.warnings[0].what;
  EXPECT_NE(r.warnings[0].what.find("every user"), std::string::npos) << r.warnings[0].what;
  EXPECT_NE(r.warnings[0].what.find("device[0].snmp.community"), std::string::npos)
      << r.warnings[0].what;
}

TEST(ConfigLoader, NotifyChannelsAreReadInOrderAndAWebhookSecretCountsAsASecret) {
  TempDir dir;
  const auto f = dir.write("notify.toml",
                           "[[notify]]\nname = \"am\"\nkind = \"alertmanager\"\n"
                           "url = \"http://[::1]:9093\"\n\n"
                           "[[notify]]\nname = \"wh\"\nkind = \"webhook\"\n"
                           "url = \"http://hooks.example.com:8080/in\"\nsecret = \"k\"\n"
                           "timeout = \"2s\"\n\n"
                           "[[notify]]\nname = \"ex\"\nkind = \"exec\"\n"
                           "command = [\"/bin/true\", \"{circuit}\"]\n",
                           0644);
  const auto r = circuitd::config::load(f.string());
  ASSERT_TRUE(r.config.has_value()) << allErrors(r);
  const auto& n = r.config->notify;
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].name, "am");
  EXPECT_EQ(n[0].kind, "alertmanager");
  EXPECT_EQ(n[0].url, "http://[::1]:9093");
  EXPECT_EQ(n[0].timeout, std::chrono::seconds{10});
  EXPECT_EQ(n[1].secret, "k");
  EXPECT_EQ(n[1].timeout, std::chrono::seconds{2});
  EXPECT_EQ(n[2].command, (std::vector<std::string>{"/bin/true", "{circuit}"}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].what.find("notify[1].secret"), std::string::npos) << r.warnings[0].what;
}

TEST(ConfigLoader, SecretsInAGroupReadableFileAreWarnedToo) {
  TempDir dir;
  const auto f =
      dir.write("dev.toml",
                "[[device]]\nname = \"a\"\naddress = \"127.0.0.1\"\nsnmp = { version = \"3\", "
                "user = \"u\", auth_protocol = \"SHA\", auth_key = \"12345678\", "
                "priv_protocol = \"AES-128\", priv_key = \"87654321\" }\n",
                0640);
  const auto r = circuitd::config::load(f.string());
  ASSERT_TRUE(r.config.has_value()) << allErrors(r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].what.find("file mode 0640 lets its group read"), std::string::npos)
      << r.warnings[0].what;
  EXPECT_NE(r.warnings[0].what.find("device[0].snmp.auth_key, device[0].snmp.priv_key"),
            std::string::npos)
      << r.warnings[0].what;
}

TEST(ConfigLoader, SecretsInAPrivateFileOrNoSecretsGiveNoWarning) {
  TempDir dir;
  const auto secret = dir.write("dev.toml",
                                "[[device]]\nname = \"a\"\naddress = \"127.0.0.1\"\n"
                                "snmp = { version = \"2c\", community = \"s3cret\" }\n",
                                0600);
  const auto plain = dir.write("inv.toml", "[[circuit]]\nlink_id = \"STN1\"\n", 0644);
  EXPECT_TRUE(circuitd::config::load(secret.string()).warnings.empty());
  EXPECT_TRUE(circuitd::config::load(plain.string()).warnings.empty());
}

TEST(ConfigLoader, SnmpVersionTwoRejectsVersionThreeFields) {
  TempDir dir;
  const auto f =
      dir.write("dev.toml",
                "[[device]]\nname = \"a\"\naddress = \"127.0.0.1\"\n"
                "snmp = { version = \"2c\", community = \"c0mmunity\", user = \"u\" }\n");
  const auto r = circuitd::config::load(f.string());
  ASSERT_EQ(r.errors.size(), 1u) << allErrors(r);
  EXPECT_EQ(r.errors[0].where, f.string() + ":4:51 device[0].snmp.user");
  EXPECT_EQ(r.errors[0].what, "'user' belongs to SNMP version \"3\", not \"2c\"");
}

TEST(ConfigLoader, IcmpSendQuantumTakesAutoOrADurationAndGridsDefault) {
  TempDir dir;
  const auto a = circuitd::config::load(
      dir.write("a.toml", "[daemon]\nicmp_send_quantum = \"auto\"\n").string());
  ASSERT_TRUE(a.errors.empty()) << allErrors(a);
  EXPECT_EQ(a.config->daemon.icmp_send_quantum, std::chrono::milliseconds{0}) << "auto is 0";
  EXPECT_EQ(a.config->daemon.snmp_start_grid, std::chrono::milliseconds{100}) << "default grid";
  const auto off =
      circuitd::config::load(dir.write("b.toml", "[daemon]\nsnmp_start_grid = \"0ms\"\n").string());
  ASSERT_TRUE(off.errors.empty()) << allErrors(off);
  EXPECT_EQ(off.config->daemon.snmp_start_grid, std::chrono::milliseconds{0});
  const auto low = circuitd::config::load(
      dir.write("c.toml", "[daemon]\nicmp_send_quantum = \"500us\"\n").string());
  ASSERT_EQ(low.errors.size(), 1u) << allErrors(low);
  EXPECT_EQ(low.errors[0].where, dir.path().string() + "/c.toml:2:1 daemon.icmp_send_quantum");
}

TEST(ConfigLoader, ProfileMustExistWhenProfilesDirIsSet) {
  TempDir dir;
  fs::create_directories(dir.path() / "profiles");
  dir.write("profiles/known.toml", "");
  const auto f = dir.write("c.toml",
                           "[daemon]\nprofiles_dir = \"profiles\"\n[[device]]\nname = \"a\"\n"
                           "address = \"127.0.0.1\"\nprofile = \"unknown\"\n"
                           "snmp = { version = \"2c\", community = \"c\" }\n");
  const auto r = circuitd::config::load(f.string());
  ASSERT_EQ(r.errors.size(), 1u) << allErrors(r);
  EXPECT_EQ(r.errors[0].where, f.string() + ":6:1 device[0].profile");
  EXPECT_NE(r.errors[0].what.find("unknown vendor profile 'unknown'"), std::string::npos);
}

TEST(ConfigLoader, HostnameAddressesAndBracketedIpv6ListenAreAccepted) {
  TempDir dir;
  const auto f = dir.write(
      "c.toml",
      "[http]\nlisten = \"[::1]:8479\"\n[[device]]\nname = \"a\"\n"
      "address = \"atn-01.noc.example\"\nsnmp = { version = \"2c\", community = \"c\" }\n");
  const auto r = circuitd::config::load(f.string());
  ASSERT_TRUE(r.config.has_value()) << allErrors(r);
  EXPECT_EQ(r.config->inventory.devices[0].address, "atn-01.noc.example");
}

TEST(ConfigLoader, SameFileIncludedTwiceIsAnError) {
  TempDir dir;
  dir.write("a.toml", "[[circuit]]\nlink_id = \"STN1\"\n");
  const auto f = dir.write("top.toml", "include = [\"a.toml\", \"./a.toml\"]\n");
  const auto r = circuitd::config::load(f.string());
  ASSERT_EQ(r.errors.size(), 1u) << allErrors(r);
  EXPECT_EQ(r.errors[0].where, f.string() + ":1:22 include[1]");
  EXPECT_NE(r.errors[0].what.find("already included"), std::string::npos);
}

}  // namespace
