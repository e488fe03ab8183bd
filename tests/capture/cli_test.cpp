// circuitctl pcap-stats end to end on the kept capture files with the kept circuits config.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace {

using circuitd::testing::readFile;

const std::string kData = std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/capture/";

// circuitctl with args: its exit code and stdout (with stderr when `merge_stderr`).
std::pair<int, std::string> circuitctl(std::vector<std::string> args, bool merge_stderr = false) {
  args.insert(args.begin(), circuitd::testing::circuitctlBinary());
  circuitd::testing::RunOptions opts;
  opts.merge_stderr = merge_stderr;
  const auto r = circuitd::testing::run(args, opts);
  return {r.exit_code, r.out};
}

}  // namespace

TEST(PcapStatsCommandTest, PrintsTheKeptTablesForTheKeptConfig) {
  for (const std::string name : {"traffic", "cfm"}) {
    const auto [rc, out] =
        circuitctl({"pcap-stats", kData + name + ".pcap", "--config", kData + "circuits.toml"});
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out, readFile(kData + name + ".expected.txt")) << name;
  }
}

TEST(PcapStatsCommandTest, JsonCarriesCircuitsMepsAndDamageCounts) {
  const auto [rc, out] = circuitctl(
      {"pcap-stats", kData + "traffic.pcap", "--config", kData + "circuits.toml", "--json"});
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["truncated"], 3);
  EXPECT_EQ(j["malformed"], 3);
  ASSERT_EQ(j["circuits"].size(), 5u);
  EXPECT_EQ(j["circuits"][0]["circuit"], "STN-VLAN100");
  EXPECT_EQ(j["circuits"][0]["packets"], 100);
}

TEST(PcapStatsCommandTest, UnreadableFileExitsOneWithTheReason) {
  const auto [rc, out] = circuitctl({"pcap-stats", kData + "no-such.pcap"}, true);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("no-such.pcap"), std::string::npos) << out;
}
