// The importer's inventory file loads through circuitd's config next to the NOC's topology file,
// and a re-import leaves the topology untouched.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"
#include "tests/contract/cli_fixture.hpp"

using namespace contract_test;
using circuitd::testing::writeFile;
namespace fs = std::filesystem;

namespace {

const char* kTopology = R"(# The NOC's topology: never written by the importer.
[[device]]
name = "atn-wk09"
address = "127.0.0.1"
port = 16100
site = "WK-09创业大厦便民警务站"
snmp = { version = "2c", community = "ro" }

[[topology]]
circuit = "STN09913418236"
device = "atn-wk09"
uni_interface = "GigabitEthernet0/0/1"
carrier_target = "127.0.1.1"
customer_target = "127.0.2.1"

[[topology]]
circuit = "XJWLM2405957CGN00#55"
device = "atn-wk09"
uni_interface = "GigabitEthernet0/0/2"
carrier_target = "127.0.1.2"
)";

const char* kMain = R"(include = ["inventory.toml", "topology.toml"]
[daemon]
state_dir = "state"
)";

const circuitd::Circuit* find(const circuitd::config::Config& cfg, const std::string& key) {
  return cfg.inventory.findCircuit(key);
}

}  // namespace

TEST(InventoryConfigTest, ImportedSeedLoadsWithTheNocTopologyAndSurvivesReimport) {
  ASSERT_TRUE(fs::exists(circuitd::testing::circuitctlBinary()))
      << "circuitctl not built at " << circuitd::testing::circuitctlBinary();
  ScratchDir scratch("circuitd-contract-");
  const fs::path dir = scratch.path();
  writeFile(dir / "topology.toml", kTopology);
  writeFile(dir / "circuitd.toml", kMain);
  const std::vector<std::string> import = {"import-contract", dataDir() + "/XJWLM2405957CGN00.txt",
                                           "-o", "inventory.toml"};
  auto r = runCircuitctl(import, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto loaded = circuitd::config::load((dir / "circuitd.toml").string());
  std::string errors;
  for (const auto& e : loaded.errors) errors += e.str() + "\n";
  ASSERT_TRUE(loaded.config) << errors;
  const auto& cfg = *loaded.config;
  EXPECT_EQ(cfg.inventory.circuits.size(), 121u);

  const auto* first = find(cfg, "STN09913418236");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->device, "atn-wk09");
  EXPECT_EQ(first->site, "交警大队");
  EXPECT_EQ(first->contract, "XJWLM2405957CGN00");
  EXPECT_EQ(first->contract_row, 1);
  EXPECT_DOUBLE_EQ(first->monthly_fee, 900);
  EXPECT_EQ(first->term_start, "2024-01-01");

  const auto* missing = find(cfg, "XJWLM2405957CGN00#55");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->link_id, "");
  EXPECT_TRUE(missing->review);
  EXPECT_EQ(missing->device, "atn-wk09");
  EXPECT_EQ(missing->uni_interface, "GigabitEthernet0/0/2");

  const auto* part_year = find(cfg, "IPRANXJ0991280877");
  ASSERT_NE(part_year, nullptr);
  EXPECT_EQ(part_year->site, "一分局");
  EXPECT_DOUBLE_EQ(part_year->annual_fee, 800);
  const auto* no_rate = find(cfg, "18146951939");
  ASSERT_NE(no_rate, nullptr);
  EXPECT_FALSE(no_rate->bandwidth_mbps);

  // The contract repeats STN09914490812 on nine rows: the loader warns, naming the rows.
  bool warned = false;
  for (const auto& w : loaded.warnings)
    warned = warned || w.str().find("STN09914490812") != std::string::npos;
  EXPECT_TRUE(warned);

  // Re-import: the topology file is byte-for-byte the same and the config still loads.
  r = runCircuitctl(import, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream topo(dir / "topology.toml");
  std::string topology((std::istreambuf_iterator<char>(topo)), std::istreambuf_iterator<char>());
  EXPECT_EQ(topology, kTopology);
  auto again = circuitd::config::load((dir / "circuitd.toml").string());
  EXPECT_TRUE(again.config);
  EXPECT_EQ(again.config->inventory.circuits.size(), 121u);
}
