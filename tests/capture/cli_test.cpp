// circuitctl pcap-stats end to end on the kept capture files with the kept circuits config.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

const std::string kData = std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/capture/";

std::pair<int, std::string> circuitctl(const std::string& args, bool merge_stderr = false) {
  const std::string cmd = std::string(CIRCUITD_BINARY_DIR) + "/tools/circuitctl/circuitctl " + args +
                          (merge_stderr ? " 2>&1" : " 2>/dev/null");
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return {-1, ""};
  char buf[512];
  while (std::fgets(buf, sizeof(buf), f)) out += buf;
  const int status = ::pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string readText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST(PcapStatsCommandTest, PrintsTheKeptTablesForTheKeptConfig) {
  for (const std::string name : {"traffic", "cfm"}) {
    const auto [rc, out] = circuitctl("pcap-stats " + kData + name + ".pcap --config " + kData + "circuits.toml");
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out, readText(kData + name + ".expected.txt")) << name;
  }
}

TEST(PcapStatsCommandTest, JsonCarriesCircuitsMepsAndDamageCounts) {
  const auto [rc, out] = circuitctl("pcap-stats " + kData + "traffic.pcap --config " + kData + "circuits.toml --json");
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["truncated"], 3);
  EXPECT_EQ(j["malformed"], 3);
  ASSERT_EQ(j["circuits"].size(), 5u);
  EXPECT_EQ(j["circuits"][0]["circuit"], "STN-VLAN100");
  EXPECT_EQ(j["circuits"][0]["packets"], 100);
}

TEST(PcapStatsCommandTest, UnreadableFileExitsOneWithTheReason) {
  const auto [rc, out] = circuitctl("pcap-stats " + kData + "no-such.pcap", true);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("no-such.pcap"), std::string::npos) << out;
}
